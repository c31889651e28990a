// The webcam page: camera → BlazePose (MediaPipe's pose solution, from mediapipe/, served with the
// page) → fromBlazePose → the recognizer in recognizer-worker.js → skeleton, label, top 3 and both
// latencies drawn over the video. The estimator runs here, the recognizer in its worker: neither
// waits for the other. Camera frames that arrive while the estimator is busy are skipped (counted);
// estimates that find the recognizer more than `backlog` frames behind are dropped (counted).
//
// Query: ?wasm=recognizer.wasm&learned=learned.json&stride=4&complexity=0&backlog=4
//        &takes=5&takeFrames=30&countdown=3 (the "record a new gesture" button)
import { cameraModelFrame, fromBlazePose, LAYOUTS } from './runtime.js';

const params = new URLSearchParams(location.search);
const number = (name, fallback) => (params.has(name) ? Number(params.get(name)) : fallback);
const BACKLOG = number('backlog', 4);
const LEARNED_KEY = 'cocodiff-webcam-learned';
const RECENT = 300; // latencies kept for the medians: a page left running for hours must not slow down
const keepRecent = (xs, x) => { xs.push(x); if (xs.length > RECENT) xs.shift(); };
const BONES = LAYOUTS.coco17.bones;

const $ = (id) => document.getElementById(id);
const video = $('camera');
const canvas = $('overlay');
const ctx = canvas.getContext('2d');

/** What the page has seen, for people (the stats line) and for tests (window.cocodiffWebcam). Latencies: the last RECENT. */
const stats = {
  estimated: 0, withPerson: 0, skippedByEstimator: 0, badEstimates: 0,
  sent: 0, droppedForRecognizer: 0, refusedByRecognizer: 0, predictions: 0,
  label: null, top: [], estimatorMs: [], recognizerMs: [], lastProblem: null, taught: [], learnedJson: null,
  estimatorSettings: null,
};
window.cocodiffWebcam = stats;

function setState(state, message) {
  document.body.dataset.state = state;
  $('status').textContent = message;
}

function problem(message) {
  stats.lastProblem = message;
  $('status').textContent = message;
}

// ---- the recognizer's worker -------------------------------------------------------------------

const worker = new Worker('recognizer-worker.js', { type: 'module' });
let inFlight = 0;
let waiting = null; // a request to the worker awaiting its reply: { types, resolve, reject }

worker.onmessage = ({ data }) => {
  if (data.type === 'ack') return onAck(data);
  if (waiting && (waiting.types.includes(data.type) || data.type === 'error')) {
    const { resolve, reject } = waiting;
    waiting = null;
    return data.type === 'error' ? reject(new Error(data.message)) : resolve(data);
  }
  if (data.type === 'error') problem(data.message);
};
worker.onerror = (e) => setState('error-worker', `the recognizer's worker failed: ${e.message}`);

function ask(message, ...types) {
  return new Promise((resolve, reject) => {
    waiting = { types, resolve, reject };
    worker.postMessage(message);
  });
}

function onAck({ prediction, error }) {
  inFlight--;
  if (error) {
    stats.refusedByRecognizer++;
    problem(`the recognizer refused a frame: ${error}`);
  }
  if (!prediction) return;
  stats.predictions++;
  keepRecent(stats.recognizerMs, prediction.latencyMs);
  stats.label = prediction.action;
  stats.top = prediction.top;
  $('label').textContent = prediction.action ?? 'no action';
  $('scores').textContent = prediction.top.map((c) => `${c.label.padEnd(24)} ${c.score.toFixed(2)}`).join('\n');
}

/** Hands one estimate to the recognizer, unless it is more than BACKLOG frames behind. */
function send(body) {
  if (inFlight >= BACKLOG) {
    stats.droppedForRecognizer++;
    return;
  }
  inFlight++;
  stats.sent++;
  worker.postMessage({ type: 'frame', body });
}

// ---- camera and pose estimator -----------------------------------------------------------------

async function openCamera() {
  if (!navigator.mediaDevices?.getUserMedia) {
    throw Object.assign(new Error('this page needs a camera API: open it from http://localhost or https (not a file, not a plain-http address)'), { state: 'error-camera' });
  }
  try {
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: { ideal: 640 }, height: { ideal: 480 } }, audio: false });
  } catch (err) {
    const why = {
      NotAllowedError: 'camera permission denied: allow the camera for this page (the icon in the address bar) and reload',
      SecurityError: 'camera permission denied: allow the camera for this page (the icon in the address bar) and reload',
      NotFoundError: 'no camera found: connect one and reload',
      OverconstrainedError: 'no camera found that can give video: connect another and reload',
      NotReadableError: 'the camera is in use by another program: close it and reload',
    }[err.name] ?? `the camera could not be opened: ${err.message}`;
    throw Object.assign(new Error(why), { state: 'error-camera' });
  }
  // A camera unplugged or taken by the system ends its track: the page would otherwise wait forever.
  video.srcObject.getVideoTracks()[0].onended = () => setState('error-camera', 'the camera stopped: reconnect it and reload');
  await video.play();
  canvas.width = video.videoWidth;
  canvas.height = video.videoHeight;
}

async function startEstimator() {
  if (typeof globalThis.Pose !== 'function') throw Object.assign(new Error('the pose estimator (mediapipe/pose.js) did not load'), { state: 'error-estimator' });
  const pose = new globalThis.Pose({ locateFile: (file) => `mediapipe/${file}` });
  // cocodiff video's settings (written into the site by build.ts), so the page and a video give the same keypoints.
  const response = await fetch('blazepose.json');
  if (!response.ok) throw Object.assign(new Error(`the pose estimator's settings (blazepose.json) did not load: HTTP ${response.status}`), { state: 'error-estimator' });
  const settings = await response.json();
  stats.estimatorSettings = { ...settings, modelComplexity: number('complexity', settings.modelComplexity) };
  pose.setOptions(stats.estimatorSettings);
  let latest = null;
  pose.onResults((results) => { latest = results; });
  await pose.initialize();
  // The frame is drawn on the overlay first and estimated from there, so the skeleton drawn over it
  // is that frame's, however far the live video has moved on while the estimator worked.
  return async () => {
    latest = null;
    ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
    await pose.send({ image: canvas });
    return latest?.poseLandmarks ?? null;
  };
}

/** Resolves at the next camera frame with how many frames the camera has shown so far. */
function nextCameraFrame() {
  return new Promise((resolve) => {
    if ('requestVideoFrameCallback' in video) video.requestVideoFrameCallback((_, meta) => resolve(meta.presentedFrames));
    else requestAnimationFrame(() => resolve(null));
  });
}

async function estimateForever(estimate) {
  let lastShown = null;
  for (;;) {
    const shown = await nextCameraFrame();
    if (shown !== null && lastShown !== null) stats.skippedByEstimator += Math.max(0, shown - lastShown - 1);
    lastShown = shown;
    const started = performance.now();
    const landmarks = await estimate();
    keepRecent(stats.estimatorMs, performance.now() - started);
    stats.estimated++;
    const size = cameraModelFrame(video.videoWidth, video.videoHeight);
    let body = null;
    if (landmarks) {
      try {
        body = fromBlazePose(landmarks, size);
        stats.withPerson++;
      } catch (err) {
        stats.badEstimates++; // the estimator's output was unusable: say so, keep streaming
        problem(err.message);
      }
    }
    if (!landmarks) $('status').textContent = 'no person in view: step into the picture';
    else if (body && stats.lastProblem === null) $('status').textContent = 'running';
    send(body);
    if (recording && body) recording.frames++;
    draw(body, size.width / video.videoWidth);
  }
}

// ---- drawing -----------------------------------------------------------------------------------

const median = (xs) => (xs.length ? [...xs].sort((a, b) => a - b)[xs.length >> 1] : NaN);

/** Draws the skeleton and the readings over the frame just estimated (already on the canvas). */
function draw(body, scale) {
  const unit = canvas.width / 320; // line widths and text scale with the video
  if (body) {
    const at = (v) => [body[v * 3] / scale, body[v * 3 + 1] / scale];
    const seen = (v) => body[v * 3 + 2] > 0;
    ctx.strokeStyle = ctx.fillStyle = '#4fc3f7';
    ctx.lineWidth = 2 * unit;
    for (const [a, b] of BONES) {
      if (!seen(a) || !seen(b)) continue;
      ctx.beginPath(); ctx.moveTo(...at(a)); ctx.lineTo(...at(b)); ctx.stroke();
    }
    for (let v = 0; v < body.length / 3; v++) {
      if (!seen(v)) continue;
      ctx.beginPath(); ctx.arc(...at(v), 2.5 * unit, 0, 2 * Math.PI); ctx.fill();
    }
  }
  const lines = [
    body ? (stats.label ?? (stats.predictions ? 'no action' : '…')) : 'no person in view',
    ...stats.top.map((c) => `${c.score.toFixed(2)} ${c.label}`),
    `pose ${median(stats.estimatorMs.slice(-30)).toFixed(0)} ms · recognizer ${median(stats.recognizerMs.slice(-30)).toFixed(2)} ms`,
  ];
  ctx.font = `${9 * unit}px system-ui, sans-serif`;
  ctx.fillStyle = 'rgba(0, 0, 0, 0.55)';
  ctx.fillRect(0, 0, Math.max(...lines.map((l) => ctx.measureText(l).width)) + 8 * unit, (lines.length * 11 + 5) * unit);
  ctx.fillStyle = '#fff';
  lines.forEach((line, i) => ctx.fillText(line, 4 * unit, (11 + 11 * i) * unit));
  $('stats').textContent = [
    `pose estimator ${median(stats.estimatorMs).toFixed(1)} ms median   recognizer ${median(stats.recognizerMs).toFixed(2)} ms median`,
    `frames estimated ${stats.estimated}, with a person ${stats.withPerson}`,
    `camera frames skipped while the estimator was busy ${stats.skippedByEstimator}`,
    `predictions ${stats.predictions}; frames dropped with the recognizer ${BACKLOG} behind ${stats.droppedForRecognizer}`,
  ].join('\n');
}

// ---- teaching a gesture --------------------------------------------------------------------------

let recording = null; // { frames } while a take is being recorded

function showLearned(reply) {
  stats.taught = reply.taught;
  stats.learnedJson = reply.learnedJson;
  localStorage.setItem(LEARNED_KEY, reply.learnedJson);
  const save = $('save-learned');
  if (save.href) URL.revokeObjectURL(save.href);
  save.href = URL.createObjectURL(new Blob([reply.learnedJson], { type: 'application/json' }));
  const list = $('taught');
  list.replaceChildren(...reply.taught.map((name) => {
    const row = document.createElement('div');
    const forget = document.createElement('button');
    forget.textContent = 'forget';
    forget.onclick = async () => showLearned(await ask({ type: 'forget', name }, 'learned'));
    row.append(`taught: ${name} `, forget);
    return row;
  }));
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const until = async (test) => { while (!test()) await pause(30); };

async function recordGesture() {
  const name = $('gesture-name').value.trim();
  const say = (text) => { $('record-status').textContent = text; };
  if (!name) return say('give the gesture a name first');
  const takes = number('takes', 5);
  const takeFrames = number('takeFrames', 30);
  const countdown = number('countdown', 3);
  $('record').disabled = true;
  try {
    for (let k = 1; k <= takes; k++) {
      for (let s = countdown; s > 0; s--) { say(`take ${k} of ${takes} of "${name}" in ${s}…`); await pause(1000); }
      say(`take ${k} of ${takes}: perform "${name}" now`);
      recording = { frames: 0 };
      worker.postMessage({ type: 'take-start' });
      await until(() => recording.frames >= takeFrames); // frames with a person in view
      recording = null;
      await ask({ type: 'take-stop' }, 'take');
    }
    const reply = await ask({ type: 'learn', name }, 'learned');
    showLearned(reply);
    say(`taught "${name}" from ${reply.taughtNow.recordings} recordings in ${reply.taughtNow.milliseconds.toFixed(0)} ms`);
  } catch (err) {
    recording = null;
    worker.postMessage({ type: 'discard-takes' });
    say(`not taught: ${err.message}`);
  } finally {
    $('record').disabled = false;
  }
}

async function loadLearnedFile(file) {
  try {
    showLearned(await ask({ type: 'use-learned', text: await file.text(), where: file.name }, 'learned'));
    $('record-status').textContent = `loaded ${file.name}`;
  } catch (err) {
    $('record-status').textContent = err.message;
  }
}

// ---- start -------------------------------------------------------------------------------------

async function learnedAtStart() {
  const url = params.get('learned');
  if (url) return { text: await (await fetch(url)).text(), where: url };
  const saved = localStorage.getItem(LEARNED_KEY);
  return saved ? { text: saved, where: 'the gestures saved in this browser' } : null;
}

try {
  setState('loading', 'opening the camera…');
  await openCamera();
  setState('loading', 'loading the pose estimator and the recognizer…');
  const [estimate, ready] = await Promise.all([
    startEstimator(),
    learnedAtStart().then((learned) => ask({ type: 'load', wasm: params.get('wasm') ?? 'recognizer.wasm', stride: number('stride', 4), learned }, 'ready')),
  ]);
  if (ready.info.layout && LAYOUTS[ready.info.layout].dims === 3) problem(`this recognizer reads ${ready.info.layout} joints in 3D, not a camera's 2D keypoints: build one with \`cocodiff demo --camera\``);
  if (ready.learnedProblem) $('record-status').textContent = `saved gestures not loaded: ${ready.learnedProblem}`;
  if (ready.taught.length) showLearned(ready);
  $('record').disabled = false;
  $('record').onclick = recordGesture;
  $('load-learned').onchange = (e) => e.target.files[0] && loadLearnedFile(e.target.files[0]);
  setState('running', 'running');
  await estimateForever(estimate);
} catch (err) {
  setState(err.state ?? 'error', err.message);
}
