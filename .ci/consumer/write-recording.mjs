// Writes a small recording as a .npy of shape [frames, 2, 25, 3] (one person moving, the other
// slot empty), a format the runtime reads, and the same frames as JSON for the browser page.
//   node write-recording.mjs OUT.npy OUT.json
import { writeFileSync } from 'node:fs';

const [npyPath, jsonPath] = process.argv.slice(2);
const F = 60, M = 2, V = 25, C = 3;
const data = new Float32Array(F * M * V * C);
for (let f = 0; f < F; f++) {
  for (let v = 0; v < V; v++) {
    const at = ((f * M) * V + v) * C;
    data[at] = 0.3 * Math.sin(f / 6 + v) + 0.02 * v;
    data[at + 1] = 0.05 * v - 0.6 + 0.2 * Math.cos(f / 4 + v / 3);
    data[at + 2] = 3 + 0.01 * v;
  }
}
let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${F}, ${M}, ${V}, ${C}), }`;
header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
const npy = new Uint8Array(10 + header.length + data.byteLength);
npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
npy.set(new TextEncoder().encode(header), 10);
npy.set(new Uint8Array(data.buffer), 10 + header.length);
writeFileSync(npyPath, npy);
writeFileSync(jsonPath, JSON.stringify({ layout: 'ntu25', frames: F, persons: M, joints: V, coords: C, data: Array.from(data) }));
