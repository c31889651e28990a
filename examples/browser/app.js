// Replays a recorded skeleton sequence as a live camera: draws each frame, pushes it into the
// recognizer (runtime.js: cocodiff's host API as one ES module, made by build.ts) and shows the
// smoothed label and the inference latency. Query: ?wasm=recognizer.wasm&recording=recording.json&fps=30,
// and &learned=learned.json for gestures taught with `cocodiff learn` or `recognizer.learn()`.
import { LAYOUTS, Recognizer } from './runtime.js';

const params = new URLSearchParams(location.search);
const fps = Number(params.get('fps') ?? 30);
const canvas = document.getElementById('view');
const ctx = canvas.getContext('2d');
const show = (id, text) => { document.getElementById(id).textContent = text; };

try {
  const recognizer = await Recognizer.load(params.get('wasm') ?? 'recognizer.wasm', { stride: Number(params.get('stride') ?? 8), alpha: 0.6 });
  const learned = params.get('learned');
  if (learned) recognizer.useLearned(await (await fetch(learned)).text(), learned);
  const rec = await (await fetch(params.get('recording') ?? 'recording.json')).json();
  const layout = LAYOUTS[rec.layout];
  const per = rec.persons * rec.joints * rec.coords;
  const data = Float32Array.from(rec.data);
  const project = fitToCanvas(data, rec, layout);
  document.body.dataset.state = 'running';
  const latencies = [];
  let last = null;
  for (let f = 0; f < rec.frames; f++) {
    const frame = data.subarray(f * per, (f + 1) * per);
    draw(frame, rec, layout, project);
    const p = recognizer.push(frame, rec.layout);
    if (p) {
      last = p;
      latencies.push(p.latencyMs);
      show('label', p.action ?? 'no action');
      show('scores', p.top.slice(0, 3).map((c) => `${c.label.padEnd(24)} ${c.score.toFixed(2)}`).join('\n'));
    }
    const mean = latencies.reduce((a, b) => a + b, 0) / Math.max(latencies.length, 1);
    show('stats', `frame ${f + 1}/${rec.frames}   inference ${last ? last.latencyMs.toFixed(2) : '-'} ms (mean ${mean.toFixed(2)} ms)`);
    await new Promise((resolve) => setTimeout(resolve, 1000 / fps));
  }
  window.cocodiffResult = { label: last?.action ?? null, predictions: latencies.length, meanLatencyMs: latencies.reduce((a, b) => a + b, 0) / Math.max(latencies.length, 1) };
  document.body.dataset.state = 'done';
} catch (err) {
  show('label', `error: ${err.message}`);
  document.body.dataset.state = 'error';
}

/** Maps joint (x, y) to canvas pixels, fitted to the whole recording; depth cameras have y up. */
function fitToCanvas(data, rec, layout) {
  let [x0, x1, y0, y1] = [Infinity, -Infinity, Infinity, -Infinity];
  for (let i = 0; i < data.length; i += rec.coords) {
    if (data[i] === 0 && data[i + 1] === 0) continue;
    x0 = Math.min(x0, data[i]); x1 = Math.max(x1, data[i]);
    y0 = Math.min(y0, data[i + 1]); y1 = Math.max(y1, data[i + 1]);
  }
  const scale = 0.9 * Math.min(canvas.width / (x1 - x0 || 1), canvas.height / (y1 - y0 || 1));
  const yUp = layout.dims === 3;
  return (x, y) => [
    canvas.width / 2 + (x - (x0 + x1) / 2) * scale,
    canvas.height / 2 + (yUp ? -1 : 1) * (y - (y0 + y1) / 2) * scale,
  ];
}

function draw(frame, rec, layout, project) {
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  const colours = ['#4fc3f7', '#ffb74d', '#aed581', '#f06292'];
  for (let m = 0; m < rec.persons; m++) {
    const at = (v) => (m * rec.joints + v) * rec.coords;
    if (!frame.subarray(at(0), at(rec.joints)).some((x) => x !== 0)) continue;
    ctx.strokeStyle = ctx.fillStyle = colours[m % colours.length];
    ctx.lineWidth = 3;
    layout.parents.forEach((p, v) => {
      if (p === v) return;
      const [ax, ay] = project(frame[at(v)], frame[at(v) + 1]);
      const [bx, by] = project(frame[at(p)], frame[at(p) + 1]);
      ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
    });
    for (let v = 0; v < rec.joints; v++) {
      const [x, y] = project(frame[at(v)], frame[at(v) + 1]);
      ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
    }
  }
}
