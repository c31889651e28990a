// The installed runtime teaches a gesture on the device: learn() from five recordings of one the
// model never saw (the recording with every joint raised, jittered per seed), the taught class wins
// on a sixth, the learned file round-trips into a fresh recognizer, and forget() restores the module.
//   node learn.mjs RECOGNIZER.wasm RECORDING
import { loadRecording, Recognizer } from 'cocodiff-runtime';

const [wasm, recordingPath] = process.argv.slice(2);
const fail = (why) => { console.error(`learn: ${why}`); process.exit(1); };
const recognizer = await Recognizer.load(wasm);
const seq = await loadRecording(recordingPath);
const K = recognizer.info.labels.length;
/** The recording with every present joint raised 0.8 in y and jittered (a seeded LCG): a new gesture. */
const raised = (seed) => {
  let s = seed;
  const jitter = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648 - 0.5) * 0.02;
  return { ...seq, data: seq.data.map((v, i) => (v === 0 ? 0 : v + jitter() + (i % 3 === 1 ? 0.8 : 0))) };
};
const before = recognizer.classify(seq).probs;
const taught = recognizer.learn('arms up', [1, 2, 3, 4, 5].map(raised));
if (taught.index !== K || recognizer.labels.at(-1) !== 'arms up') fail(`taught as class ${taught.index} of ${recognizer.labels.length}`);
const probe = recognizer.classify(raised(6));
if (probe.top[0].label !== 'arms up') fail(`a sixth recording of the gesture reads as "${probe.top[0].label}"`);

const again = await Recognizer.load(wasm);
again.useLearned(JSON.stringify(recognizer.learnedFile()), 'learned.json');
const reread = again.classify(raised(6)).probs;
if (reread.some((p, i) => p !== probe.probs[i])) fail('the learned file gives other scores in a fresh recognizer');

recognizer.forget('arms up');
const after = recognizer.classify(seq).probs;
if (after.length !== K || after.some((p, i) => p !== before[i])) fail('forget() did not restore the module\'s scores');
console.log(`learn: taught "arms up" from 5 recordings in ${taught.milliseconds.toFixed(1)} ms (score ${probe.top[0].score.toFixed(3)} on a sixth); the learned file round-trips; forget restores the module`);
