/**
 * The browser example in a real headless Chromium: the page loads the .wasm through the bundled
 * host API, replays a recording, and must show the label the recognizer gives in Node for the
 * same frames. A screenshot is saved for a human to look at.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { prepareSite } from '../../examples/browser/build.ts';
import { SAMPLE_RECORDING, serveDir } from '../../examples/browser/serve.ts';
import { loadRecording, Recognizer, type Sequence } from 'cocodiff-runtime';
import { buildFixtureWasm } from '../runtime/fixture-wasm.ts';
import { CHROMIUM_FLAGS, chromiumOrNull } from '../../common/chromium.ts';
import { compileArtifact } from '../../compiler/index.ts';
import { randomInput, writeRandomArtifact } from '../compiler/artifacts.ts';

const CHROMIUM = chromiumOrNull();
const SCREENSHOT = join(tmpdir(), 'cocodiff-browser-example.png');
let dir: string;
let server: Server | undefined;
let browser: Browser | undefined;
let url: string;
let wasmPath: string;
let recording: Sequence;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-browser-'));
  recording = await loadRecording(SAMPLE_RECORDING);
  ({ wasmPath } = await buildFixtureWasm(join(dir, 'model'), { layout: 'ntu25', classes: 6, T: 32, M: 2, windowFrames: 48, sequenceCapacity: 300, modality: 'joint', centre: false, testCropRatio: 0.95 }));
  await prepareSite(join(dir, 'site'), wasmPath, recording);
  ({ server, url } = await serveDir(join(dir, 'site')));
  browser = await chromium.launch({
    executablePath: CHROMIUM!,
    args: CHROMIUM_FLAGS,
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  await rm(dir, { recursive: true, force: true });
});

it.skipIf(CHROMIUM === null)('shows the label the recognizer computes, with its latency', async () => {
  const page = await browser!.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${url}?fps=400&stride=8`);
  await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
  const label = await page.textContent('#label');
  const stats = await page.textContent('#stats');
  await page.screenshot({ path: SCREENSHOT });
  console.log(`browser example: "${label}"; ${stats}; screenshot ${SCREENSHOT}`);
  expect(errors).toEqual([]);

  // The same frames through the same .wasm in Node.
  const r = await Recognizer.load(wasmPath, { stride: 8, alpha: 0.6 });
  const per = recording.persons * recording.joints * recording.coords;
  let last = null;
  for (let f = 0; f < recording.frames; f++) last = r.push(recording.data.subarray(f * per, (f + 1) * per)) ?? last;
  expect(last?.action).toBeTruthy();
  expect(label).toBe(last!.action);
  expect(stats).toMatch(new RegExp(`frame ${recording.frames}/${recording.frames}\\s+inference \\d+\\.\\d+ ms`));
});

it.skipIf(CHROMIUM === null)('loads gestures taught in Node from ?learned=learned.json and shows the taught label', async () => {
  // Taught from five jittered copies of the very recording the page plays: the taught class must win.
  const teacher = await Recognizer.load(wasmPath, { stride: 8, alpha: 0.6 });
  const copies = [1, 2, 3, 4, 5].map((k) => ({ ...recording, data: recording.data.map((v, i) => (v === 0 ? 0 : v + 0.002 * Math.sin(k * 13 + i))) }));
  teacher.learn('my gesture', copies);
  const learnedPath = join(dir, 'learned.json');
  await writeFile(learnedPath, JSON.stringify(teacher.learnedFile()));
  await prepareSite(join(dir, 'site-learned'), wasmPath, recording, learnedPath);
  const { server: own, url: ownUrl } = await serveDir(join(dir, 'site-learned'));
  try {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${ownUrl}?fps=400&stride=8&learned=learned.json`);
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
    expect(errors).toEqual([]);
    expect(await page.textContent('#label')).toBe('my gesture');
    // Without the file the same page shows one of the recognizer's own classes.
    await page.goto(`${ownUrl}?fps=400&stride=8`);
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
    expect(await page.textContent('#label')).not.toBe('my gesture');
  } finally {
    await new Promise((resolve) => own.close(resolve));
  }
});

/** The label the page shows for the recording played through `wasm`, on a site of its own; and whether that page is cross-origin isolated. */
async function pageLabel(wasm: string, name: string): Promise<{ label: string | null; isolated: boolean }> {
  await prepareSite(join(dir, name), wasm, recording);
  const { server: own, url: ownUrl } = await serveDir(join(dir, name));
  try {
    const page = await browser!.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${ownUrl}?fps=400&stride=8`);
    await page.waitForSelector('body[data-state="done"], body[data-state="error"]', { timeout: 60_000 });
    expect(errors).toEqual([]);
    return { label: await page.textContent('#label'), isolated: await page.evaluate(() => crossOriginIsolated) };
  } finally {
    await new Promise((resolve) => own.close(resolve));
  }
}

/** The last label the same frames give through the same module in Node, and what the module says of itself. */
async function nodeLabel(wasm: string): Promise<{ label: string | undefined; info: Recognizer['info'] }> {
  const r = await Recognizer.load(wasm, { stride: 8, alpha: 0.6 });
  const per = recording.persons * recording.joints * recording.coords;
  let last = null;
  for (let f = 0; f < recording.frames; f++) last = r.push(recording.data.subarray(f * per, (f + 1) * per)) ?? last;
  r.dispose();
  return { label: last?.action ?? undefined, info: r.info };
}

it.skipIf(CHROMIUM === null)('runs a recognizer compiled with --threads 2 in its Worker, the page being cross-origin isolated', async () => {
  await writeRandomArtifact(join(dir, 'threaded-model'), { width: 0.25, blocks: 3, T: 32, M: 2, K: 5, seed: 3 });
  const threaded = join(dir, 'threaded.wasm');
  await compileArtifact(join(dir, 'threaded-model'), { out: threaded, threads: 2 });
  const page = await pageLabel(threaded, 'site-threaded');
  expect(page.isolated).toBe(true);
  // The same frames through the same module in Node (its worker_threads), and through the page's Worker.
  const node = await nodeLabel(threaded);
  expect(node.info.threads).toBe(2);
  expect(node.label).toBeTruthy();
  expect(page.label).toBe(node.label);
}, 300_000);

it.skipIf(CHROMIUM === null)('runs an int8 module (compile --int8) and shows the label it computes in Node', async () => {
  // A compiled network this time (the fixture has no convolutions): a seeded random CTR-GCN, int8.
  await writeRandomArtifact(join(dir, 'int8-model'), { width: 0.25, blocks: 2, T: 16, M: 2, K: 6, seed: 3 });
  const int8Path = join(dir, 'int8.wasm');
  const calibration = [1, 2, 3, 4].map((seed) => randomInput(3 * 16 * 25 * 2, seed));
  await compileArtifact(join(dir, 'int8-model'), { out: int8Path, int8: { inputs: calibration, method: 'minmax' } });
  const node = await nodeLabel(int8Path);
  expect(node.info.int8).toBe(true);
  expect(node.label).toBeTruthy();
  expect((await pageLabel(int8Path, 'site-int8')).label).toBe(node.label);
}, 300_000);
