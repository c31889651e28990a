// The recognizer's own thread: the page's pose estimator never waits for an inference, and an
// inference never waits for the estimator. Messages in (from app.js):
//   {type: 'load', wasm, stride, learned?}    → {type: 'ready', info, taught, labels, learnedJson, learnedProblem}
//   {type: 'frame', body | null}              → {type: 'ack', prediction | null, error?}
//   {type: 'take-start'} / {type: 'take-stop'} → frames between them become one recording of a gesture
//   {type: 'learn', name}                     → {type: 'learned', taught, labels, learnedJson, taughtNow}
//   {type: 'discard-takes'}                   → the recordings so far are dropped
//   {type: 'forget', name}                    → {type: 'learned', …}
//   {type: 'use-learned', text, where}        → {type: 'learned', …}
// A body is one COCO-17 person (fromBlazePose's 17 × [x, y, score]); null when no one is in view.
// The recognizer maps it to its own layout (a model of OpenPose-18 takes it too; a 3D one refuses it).
import { Recognizer } from './runtime.js';

let recognizer = null;
let take = null; // bodies of the recording in progress, or null
const takes = []; // finished recordings of the gesture being taught

const reply = (message) => self.postMessage(message);
const messageOf = (err) => (err instanceof Error ? err.message : String(err));

function learnedState() {
  const file = recognizer.learnedFile();
  return { type: 'learned', taught: file.classes.map((c) => c.name), labels: recognizer.labels, learnedJson: JSON.stringify(file) };
}

/** One take as a recording: one COCO-17 person per frame (learn() maps it as push() does). */
function asSequence(bodies) {
  const data = new Float32Array(bodies.length * 17 * 3);
  bodies.forEach((body, t) => data.set(body, t * 17 * 3));
  return { layout: 'coco17', frames: bodies.length, persons: 1, joints: 17, coords: 3, data, source: 'webcam' };
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
        if (take && msg.body) take.push(msg.body);
        const p = recognizer.push(msg.body ? [msg.body] : [], 'coco17');
        reply({ type: 'ack', prediction: p && { action: p.action, top: p.top, latencyMs: p.latencyMs } });
        break;
      }
      case 'take-start':
        take = [];
        break;
      case 'take-stop': {
        const bodies = take ?? [];
        take = null;
        if (bodies.length > 0) takes.push(asSequence(bodies));
        reply({ type: 'take', takes: takes.length, frames: bodies.length });
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
    if (msg.type === 'frame') reply({ type: 'ack', prediction: null, error: messageOf(err) });
    else reply({ type: 'error', message: messageOf(err) });
  }
};
