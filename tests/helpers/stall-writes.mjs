// Preloaded (`node --import`) into a spawned cocodiff by tests/cli/interrupted-writes.test.ts: a disk
// so slow that a write into a temporary stalls half-way, holding the command in the middle of its
// output until the test stops it. Plain JavaScript: it runs before bin/cocodiff.js installs tsx.
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

const { writeFile } = fsp;
fsp.writeFile = async (path, data, opts) => {
  if (!/\.tmp([/\\]|$)/.test(String(path))) return writeFile(path, data, opts);
  await writeFile(path, data.subarray ? data.subarray(0, data.length >> 1) : data.slice(0, data.length >> 1), opts);
  // A timer, not a bare pending promise: the process must stay alive, waiting, as on a slow disk.
  await new Promise((resolve) => setTimeout(resolve, 120_000));
  return writeFile(path, data, opts);
};
syncBuiltinESMExports();
