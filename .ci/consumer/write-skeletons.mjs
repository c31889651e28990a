// Writes a small NTU RGB+D raw folder as the Kinect SDK export does (CRLF; 10-value body lines,
// "25", 12-value joint lines): actions 1 and 2 by performer 1 (X-Sub train) and performer 3
// (X-Sub test); the action-2 files hold two people, one of whom leaves half way.
//   node write-skeletons.mjs OUT_DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const [out] = process.argv.slice(2);
mkdirSync(out, { recursive: true });
const FRAMES = 40;

function joint(body, f, v, action) {
  const x0 = body === 0 ? 0 : 0.8;
  const swing = (action === 1 ? 0.25 : 0.1) * Math.sin(f / (action === 1 ? 3 : 7) + v);
  return [x0 + 0.02 * (v % 5) + (v >= 4 && v <= 11 ? swing : 0), 0.9 - 0.07 * v, 3 + 0.01 * v];
}

for (const [performer, camera] of [[1, 1], [3, 2]]) {
  for (const action of [1, 2]) {
    const name = `S001C00${camera}P00${performer}R001A00${action}.skeleton`;
    const lines = [String(FRAMES)];
    for (let f = 0; f < FRAMES; f++) {
      const bodies = action === 2 && f < FRAMES / 2 ? [0, 1] : [0];
      lines.push(String(bodies.length));
      for (const b of bodies) {
        lines.push(`7205759403792793${b} 0 1 1 1 1 0 0.1137046 -0.1740294 2`, '25');
        for (let v = 0; v < 25; v++) {
          const [x, y, z] = joint(b, f, v, action);
          lines.push(`${x.toFixed(7)} ${y.toFixed(7)} ${z.toFixed(6)} 277.419 191.8218 1036.233 519.1677 -0.2059419 0.05349901 0.9692109 -0.1239193 2`);
        }
      }
    }
    writeFileSync(join(out, name), lines.join('\r\n') + '\r\n');
  }
}
