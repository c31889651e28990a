// A browser app using the installed runtime through a bundler: load the recognizer by URL,
// classify the recording, show the top class; teach it a gesture and forget it. Type-checked without @types/node (tsconfig.bundler.json).
import { Recognizer, type Sequence } from 'cocodiff-runtime';

const recording = (await (await fetch('recording.json')).json()) as Omit<Sequence, 'data'> & { data: number[] };
const recognizer = await Recognizer.load('recognizer.wasm');
const sequence: Sequence = { ...recording, data: new Float32Array(recording.data) };
const { top } = recognizer.classify(sequence);
// A gesture taught in the page (every joint raised, jittered): it must win on a recording of it, and go with forget().
const raised = (seed: number): Sequence => ({ ...sequence, data: sequence.data.map((v, i) => (v === 0 ? 0 : v + 0.01 * Math.sin(seed * 7 + i) + (i % 3 === 1 ? 0.8 : 0))) });
recognizer.learn('arms up', [1, 2, 3, 4, 5].map(raised));
const taughtTop = recognizer.classify(raised(6)).top[0].label;
if (taughtTop !== 'arms up') throw new Error(`learn() in the page: a recording of the taught gesture reads as "${taughtTop}"`);
recognizer.forget('arms up');
document.body.textContent = `${top[0].label}\t${top[0].score.toFixed(4)}`;
document.body.dataset.state = 'done';
