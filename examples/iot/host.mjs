// The smallest recognizer host: plain WebAssembly and the C-style ABI, no cocodiff code.
//
//   node examples/iot/host.mjs RECOGNIZER.wasm FRAMES.f32 [STRIDE]
//
// FRAMES.f32: raw little-endian float32 camera frames, each persons × joints × coords values
// (the sizes the module reports). Prints the top class every STRIDE frames (default 8).
import { readFileSync } from 'node:fs';

const [wasmPath, framesPath, strideArg] = process.argv.slice(2);
if (!wasmPath || !framesPath) {
  console.error('usage: node host.mjs RECOGNIZER.wasm FRAMES.f32 [STRIDE]');
  process.exit(2);
}
const stride = Number(strideArg ?? 8);
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {
  env: { abort: () => { throw new Error('abort'); } }, // only reachable from a failed assertion
});
const w = instance.exports;
const K = w.num_classes();
const frameFloats = w.num_persons() * w.num_joints() * w.num_coords();
const bytes = readFileSync(framesPath);
const frames = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
console.log(`classes ${K}, frame ${w.num_persons()}x${w.num_joints()}x${w.num_coords()}, window ${w.window_frames()} frames, memory ${w.memory_bytes()} bytes`);

for (let f = 0; f * frameFloats < frames.length; f++) {
  // Write the frame where the module says, then push it into the ring.
  new Float32Array(w.memory.buffer, w.frame_ptr(), frameFloats).set(frames.subarray(f * frameFloats, (f + 1) * frameFloats));
  if (w.push_frame() !== 0) { console.log(`frame ${f + 1}: rejected`); continue; }
  if ((f + 1) % stride !== 0) continue;
  const status = w.infer(); // 0 ok, -2 nobody in the window
  if (status !== 0) { console.log(`frame ${f + 1}: status ${status}`); continue; }
  const probs = new Float32Array(w.memory.buffer, w.probs_ptr(), K);
  let best = 0;
  for (let k = 1; k < K; k++) if (probs[k] > probs[best]) best = k;
  console.log(`frame ${f + 1}: class ${best} p=${probs[best].toFixed(4)}`);
}
