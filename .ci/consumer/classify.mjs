// A plain Node ESM app using the installed runtime: classify one recording, print the top class.
//   node classify.mjs RECOGNIZER.wasm RECORDING
import { loadRecording, Recognizer } from 'cocodiff-runtime';

const [wasm, recording] = process.argv.slice(2);
const recognizer = await Recognizer.load(wasm);
const { top } = recognizer.classify(await loadRecording(recording));
console.log(`${top[0].label}\t${top[0].score.toFixed(4)}`);
