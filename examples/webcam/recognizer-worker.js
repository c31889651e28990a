// The recognizer's own thread: the page's pose estimator never waits for an inference, and an
// inference never waits for the estimator. Messages in (from app.js):
//   {type: 'load', wasm, stride, learned?}    → {type: 'ready', info, taught, labels, learnedJson, learnedProblem}
//   {type: 'frame', id, body | null}          → {type: 'ack', id, prediction | null, pushMs, error?}
//   {type: 'take-start'} / {type: 'take-stop'} → frames between them become one recording of a gesture
//   {type: 'learn', name}                     → {type: 'learned', taught, labels, learnedJson}
//   {type: 'forget', name}                    → {type: 'learned', …}
//   {type: 'use-learned', text, where}        → {type: 'learned', …}
// A body is one COCO-17 person (fromBlazePose's 17 × [x, y, score]); null when no one is in view.
import { Recognizer } from './runtime.js';

let recognizer = null;
let take = null; // frames of the recording in progress, or null
const takes = []; // finished recordings of the gesture being taught

const reply = (message) => self.postMessage(message);
const messageOf = (err) => (err instanceof Error ? err.message : String(err));

function learnedState() {
  const file = recognizer.learnedFile();
  return { type: 'learned', taught: file.classes.map((c) => c.name), labels: recognizer.labels, learnedJson: JSON.stringify(file) };
}

/** One person slot filled, the others empty: a frame of persons × joints × coords floats. */
function frameOf(body) {
  const { persons, joints, coords } = recognizer.info;
  const frame = new Float32Array(persons * joints * coords);
  if (body) frame.set(body.subarray(0, joints * coords));
  return frame;
}

function asSequence(frames) {
  const { persons, joints, coords, layout } = recognizer.info;
  const per = persons * joints * coords;
  const data = new Float32Array(frames.length * per);
  frames.forEach((f, t) => data.set(f, t * per));
  return { layout: layout ?? 'coco17', frames: frames.length, persons, joints, coords, data, source: 'webcam' };
}

self.onmessage = async ({ data: msg }) => {
  try {
    switch (msg.type) {
      case 'load': {
        recognizer = await Recognizer.load(msg.wasm, { stride: msg.stride ?? 4, alpha: 0.6, threshold: msg.threshold ?? 0, topK: 3 });
        let learnedProblem = null;
        try {
          if (msg.learned) recognizer.useLearned(msg.learned.text, msg.learned.where);
        } catch (err) {
          learnedProblem = messageOf(err); // saved gestures of another recognizer: start without them
        }
        reply({ ...learnedState(), type: 'ready', info: recognizer.info, learnedProblem });
        break;
      }
      case 'frame': {
        const started = performance.now();
        const frame = frameOf(msg.body);
        if (take && msg.body) take.push(frame);
        const p = recognizer.push(frame);
        const prediction = p && { action: p.action, top: p.top, latencyMs: p.latencyMs, validFrames: p.validFrames, frame: p.frame };
        reply({ type: 'ack', id: msg.id, prediction, pushMs: performance.now() - started });
        break;
      }
      case 'take-start':
        take = [];
        break;
      case 'take-stop': {
        const frames = take ?? [];
        take = null;
        if (frames.length > 0) takes.push(asSequence(frames));
        reply({ type: 'take', takes: takes.length, frames: frames.length });
        break;
      }
      case 'learn': {
        const taught = recognizer.learn(msg.name, takes); // refused (a name in use…): the takes stay for another try
        takes.splice(0);
        reply({ ...learnedState(), taughtNow: taught });
        break;
      }
      case 'discard-takes':
        takes.splice(0);
        take = null;
        break;
      case 'forget':
        recognizer.forget(msg.name);
        reply(learnedState());
        break;
      case 'use-learned':
        recognizer.useLearned(msg.text, msg.where);
        reply(learnedState());
        break;
      default:
        throw new Error(`unknown message ${JSON.stringify(msg.type)}`);
    }
  } catch (err) {
    // A frame the recognizer refused still gets its ack (the page counts frames in flight), with the reason.
    if (msg.type === 'frame') reply({ type: 'ack', id: msg.id, prediction: null, pushMs: 0, error: messageOf(err) });
    else reply({ type: 'error', message: messageOf(err) });
  }
};
