// API misuse probes against the installed cocodiff-runtime: each misuse must end in a UserError
// (name "UserError") naming the argument, never a TypeError/RangeError, a hang or a wrong answer.
//   node api-probes.mjs RECOGNIZER.wasm RECORDING.npy  → TSV lines on stdout
import { readFileSync } from 'node:fs';
import { Recognizer, loadRecording } from 'cocodiff-runtime';
const [wasm, rec] = process.argv.slice(2);
const line = (id, desc, exp, res, detail) => console.log([id, desc, exp, res, String(detail).replace(/[\t\n]/g, ' ').slice(0, 300)].join('\t'));
async function user(id, desc, fn, pattern) {
  try {
    const v = await fn();
    line(id, desc, `UserError /${pattern}/`, 'accepted', JSON.stringify(v)?.slice(0, 120));
  } catch (e) {
    const good = e?.name === 'UserError' && (!pattern || new RegExp(pattern).test(e.message));
    line(id, desc, `UserError /${pattern}/`, good ? 'PASS' : `${e?.name}`, e?.message);
  }
}
async function works(id, desc, fn, ok = () => true) {
  try { const v = await fn(); line(id, desc, 'works', ok(v) ? 'PASS' : 'wrong answer', JSON.stringify(v)?.slice(0, 120)); }
  catch (e) { line(id, desc, 'works', `${e?.name}`, e?.message); }
}
const r = await Recognizer.load(wasm);
const seq = await loadRecording(rec);
const { persons: M, joints: V, coords: C } = r.info;
await user('A01', 'load(undefined)', () => Recognizer.load(undefined), 'source|expected');
await user('A02', 'load(empty bytes)', () => Recognizer.load(new Uint8Array(0)), '');
await user('A03', 'load(a directory path)', () => Recognizer.load('/tmp'), 'tmp');
await user('A04', 'load(bytes) with sidecar: 42', () => Recognizer.load(readFileSync(wasm), { sidecar: 42 }), 'sidecar');
await user('A05', 'load with stride: 0', () => Recognizer.load(readFileSync(wasm), { stride: 0 }), 'stride');
await user('A06', 'load with alpha: "0.5"', () => Recognizer.load(readFileSync(wasm), { alpha: '0.5' }), 'alpha');
await user('A07', 'classify(null)', () => r.classify(null), 'sequence');
await user('A08', 'classify with data a plain array', () => r.classify({ ...seq, data: Array.from(seq.data) }), 'data');
await user('A09', 'classify with frames: NaN', () => r.classify({ ...seq, frames: NaN }), 'frames');
await user('A10', 'classify with layout: "toString"', () => r.classify({ ...seq, layout: 'toString' }), 'layout');
await user('A11', 'classify with topK: 0', () => r.classify(seq, 0), 'topK');
await user('A12', 'classify with coords: 2 (data resized)', () => r.classify({ ...seq, coords: 2, data: new Float32Array(seq.frames * seq.persons * seq.joints * 2) }), 'coord');
await works('A13', 'classify with 10 persons (the first M kept, as push does)', () => r.classify({ ...seq, persons: 10, data: new Float32Array(seq.frames * 10 * seq.joints * 3).fill(0.1) }), (c) => Number.isFinite(c.top[0].score));
await user('A14', 'push(null)', () => r.push(null), 'frame');
await user('A15', 'push(wrong length)', () => r.push(new Float32Array(7)), '7');
await user('A16', 'push(string)', () => r.push('abc'), 'frame');
await user('A17', 'push with layout "nope"', () => r.push([[[0, 0, 0]]], 'nope'), 'layout');
await user('A18', 'configure({stride: 2.5})', () => r.configure({ stride: 2.5 }), 'stride');
await user('A19', 'configure({threshold: Infinity})', () => r.configure({ threshold: Infinity }), 'threshold');
await user('A20', 'inferInput(wrong length)', () => r.inferInput(new Float32Array(3)), 'input');
await user('A21', 'inferInput(Float64Array)', () => r.inferInput(new Float64Array(C * r.info.modelFrames * V * M)), 'Float32Array');
await works('A22', 'push after a refused push still streams', () => { r.reset(); r.configure({ stride: 1 }); try { r.push(null); } catch {} return r.push(new Float32Array(M * V * C).fill(0.1)); }, (p) => p && Number.isFinite(p.top[0].score));
await works('A23', 'two Recognizers from one file are independent', async () => { const a = await Recognizer.load(wasm), b = await Recognizer.load(wasm); a.configure({ stride: 1 }); b.configure({ stride: 1 }); a.push(new Float32Array(M * V * C).fill(0.3)); return [a.stats().pushed, b.stats().pushed]; }, (s) => s[0] === 1 && s[1] === 0);
await works('A24', 'classify 100x in a row gives the same answer', () => { const first = r.classify(seq).probs; for (let i = 0; i < 100; i++) { const p = r.classify(seq).probs; if (p.some((x, k) => x !== first[k])) return 'differs at ' + i; } return 'same'; }, (v) => v === 'same');
await user('A25', 'classify with the data of a detached buffer', () => { const d = new Float32Array(seq.data); structuredClone(d.buffer, { transfer: [d.buffer] }); return r.classify({ ...seq, data: d }); }, 'data|frames');
await user('A26', 'load(URL to nothing listening)', () => Recognizer.load(new URL('http://127.0.0.1:9/x.wasm')), '127.0.0.1');
await user('A27', 'load(file: URL of a text file)', () => Recognizer.load(new URL('file:///etc/hostname')), 'hostname');
await works('A28', 'load with topK: 1e9 (clamped to the classes)', () => Recognizer.load(readFileSync(wasm), { topK: 1e9 }).then((x) => x.classify(seq).top.length), (n) => n === r.info.labels.length);
