// A browser app using the installed runtime through a bundler: load the recognizer by URL,
// classify the recording, show the top class. Type-checked without @types/node (tsconfig.bundler.json).
import { Recognizer, type Sequence } from 'cocodiff-runtime';

const recording = (await (await fetch('recording.json')).json()) as Omit<Sequence, 'data'> & { data: number[] };
const recognizer = await Recognizer.load('recognizer.wasm');
const { top } = recognizer.classify({ ...recording, data: new Float32Array(recording.data) });
document.body.textContent = `${top[0].label}\t${top[0].score.toFixed(4)}`;
document.body.dataset.state = 'done';
