/**
 * The webcam page in a real headless Chromium whose camera plays a real video: 2.4 s of people
 * (mmaction2's demo_skeleton.mp4, cropped to 320×240: tests/fixtures/video/README.md), turned into
 * the y4m Chromium's fake camera reads by ffmpeg. BlazePose runs in the page from the package's own
 * files; the recognizer (a tiny COCO-17 fixture: this checks plumbing, not accuracy) runs in its
 * worker. A screenshot of the overlay is saved to $TMPDIR/cocodiff-webcam-example.png.
 *
 * Needs /usr/bin/chromium and ffmpeg (`.ci/run` installs both); without them the tests skip and say so.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recognizer } from 'cocodiff-runtime';
import { serveDir } from '../../examples/browser/serve.ts';
import { prepareWebcamSite } from '../../examples/webcam/build.ts';
import { haveFfmpeg, launchWithFakeCamera, videoToY4m } from '../../examples/webcam/fake-camera.ts';
import { chromiumOrNull } from '../../common/chromium.ts';
import { DEFAULT_BLAZEPOSE, type BlazePoseSettings } from '../../cli/video/blazepose.ts';
import { buildFixtureWasm } from '../runtime/fixture-wasm.ts';

const VIDEO = fileURLToPath(new URL('../fixtures/video/demo-skeleton-320x240.mp4', import.meta.url));
const SCREENSHOT = join(tmpdir(), 'cocodiff-webcam-example.png');
const ESTIMATES = 16; // frames the page must estimate before the checks: a few predictions at stride 4
const canRun = chromiumOrNull() !== null && haveFfmpeg();
if (!canRun) console.warn(`webcam page tests SKIPPED: they need a Chromium and ffmpeg on PATH (.ci/run installs both)`);

/** What app.js exposes as window.cocodiffWebcam (the fields the tests read). */
interface PageStats {
  estimated: number; withPerson: number; skippedByEstimator: number; badEstimates: number;
  sent: number; droppedForRecognizer: number; refusedByRecognizer: number; predictions: number;
  label: string | null; top: Array<{ label: string; score: number }>; estimatorMs: number[]; recognizerMs: number[];
  lastProblem: string | null; taught: string[]; learnedJson: string | null; estimatorSettings: BlazePoseSettings | null;
}

let dir: string;
let wasmPath: string;
let y4m: string;
let server: Server | undefined;
let url: string;
let browser: Browser | undefined;
let page: Page;
const pageErrors: string[] = [];
/** Requests the page made anywhere but the local server (a CDN, a model hub), and local files it missed. */
const foreignRequests: string[] = [];
const localRequests: string[] = [];
const missingFiles: string[] = [];

const readStats = (): Promise<PageStats> => page.evaluate(() => (window as unknown as { cocodiffWebcam: PageStats }).cocodiffWebcam);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

beforeAll(async () => {
  if (!canRun) return;
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-webcam-'));
  y4m = join(dir, 'camera.y4m');
  videoToY4m(VIDEO, y4m, { width: 320, height: 240, fps: 30, seconds: 3 });
  ({ wasmPath } = await buildFixtureWasm(join(dir, 'model'), { layout: 'coco17', classes: 5, T: 16, M: 2, windowFrames: 16, sequenceCapacity: 64, modality: 'joint', centre: true, testCropRatio: 0.95 }));
  await prepareWebcamSite(join(dir, 'site'), wasmPath);
  ({ server, url } = await serveDir(join(dir, 'site')));
});
afterAll(async () => {
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe.skipIf(!canRun)('the webcam page on a real video', () => {
  beforeAll(async () => {
    browser = await launchWithFakeCamera(y4m);
    page = await browser.newPage({ viewport: { width: 720, height: 900 } });
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('request', (r) => {
      if (r.url().startsWith(url)) localRequests.push(r.url().slice(url.length));
      else if (!/^(data|blob):/.test(r.url())) foreignRequests.push(r.url());
    });
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) missingFiles.push(`${r.status()} ${r.url()}`); });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('finds a person in most frames, and the recognizer in its worker predicts and keeps up', async () => {
    const started = performance.now();
    await page.goto(`${url}?stride=4&takes=2&takeFrames=3&countdown=0`);
    await page.waitForSelector('body[data-state="running"], body[data-state^="error"]', { timeout: 120_000 });
    expect(await page.getAttribute('body', 'data-state'), (await page.textContent('#status')) ?? '').toBe('running');
    await page.waitForFunction((n) => (window as unknown as { cocodiffWebcam: PageStats }).cocodiffWebcam.estimated >= n, ESTIMATES, { timeout: 240_000, polling: 200 });
    // The page goes on running: read its counters and what it shows at one moment.
    const [s, shown] = await page.evaluate(() => [(window as unknown as { cocodiffWebcam: PageStats }).cocodiffWebcam, document.getElementById('label')!.textContent] as const);
    await page.screenshot({ path: SCREENSHOT });
    console.log(`webcam page: ${s.estimated} frames estimated in ${((performance.now() - started) / 1000).toFixed(1)} s, a person in ${s.withPerson}; `
      + `pose ${median(s.estimatorMs).toFixed(0)} ms median, recognizer ${median(s.recognizerMs).toFixed(2)} ms median; ${s.predictions} predictions; `
      + `camera frames skipped while estimating ${s.skippedByEstimator}; dropped for the recognizer ${s.droppedForRecognizer}; screenshot ${SCREENSHOT}`);
    expect(pageErrors).toEqual([]);
    // Offline once served: BlazePose's script, wasm and weights all came from the page's own server.
    expect(foreignRequests).toEqual([]);
    expect(localRequests).toEqual(expect.arrayContaining(['mediapipe/pose.js', 'mediapipe/pose_landmark_lite.tflite']));
    expect(missingFiles).toEqual([]);
    // BlazePose runs with cocodiff video's settings, read from the one definition.
    expect(s.estimatorSettings).toEqual(DEFAULT_BLAZEPOSE);
    expect(s.lastProblem).toBeNull();
    expect(s.badEstimates).toBe(0);
    // The clip shows two people all along: BlazePose must find one in most frames.
    expect(s.withPerson / s.estimated).toBeGreaterThanOrEqual(0.8);
    // Every estimate reached the recognizer, or was dropped and counted: nothing vanishes.
    expect(s.sent + s.droppedForRecognizer).toBe(s.estimated);
    // The worker keeps up: an inference costs far less than a pose estimate, so (almost) nothing is dropped.
    expect(s.droppedForRecognizer).toBeLessThanOrEqual(Math.floor(s.estimated / 10));
    expect(s.refusedByRecognizer).toBe(0);
    // A prediction every 4 frames the recognizer accepted, each with its latency and a top 3.
    expect(s.predictions).toBeGreaterThanOrEqual(Math.floor((s.sent - 4) / 4));
    expect(s.recognizerMs).toHaveLength(s.predictions);
    expect(s.top).toHaveLength(3);
    expect((await Recognizer.load(wasmPath)).labels).toContain(s.label);
    expect(shown).toBe(s.label);
    expect(await page.textContent('#stats')).toMatch(/pose estimator \d+\.\d ms median\s+recognizer \d+\.\d\d ms median/);
  });

  it('teaches a new gesture from takes recorded with the button, keeps it, forgets it and loads it from learned.json', async () => {
    await page.fill('#gesture-name', 'wave');
    await page.click('#record');
    await page.waitForFunction(() => (window as unknown as { cocodiffWebcam: PageStats }).cocodiffWebcam.taught.includes('wave'), null, { timeout: 240_000, polling: 200 });
    expect(await page.textContent('#record-status')).toMatch(/taught "wave" from 2 recordings in \d+ ms/);
    const s = await readStats();
    // The saved file is a learned.json the host API takes for the same recognizer.
    const learned = JSON.parse(s.learnedJson!);
    expect(learned.classes.map((c: { name: string }) => c.name)).toEqual(['wave']);
    const r = await Recognizer.load(wasmPath);
    r.useLearned(s.learnedJson!, 'the page\'s learned.json');
    expect(r.labels.at(-1)).toBe('wave');
    expect(await page.getAttribute('#save-learned', 'href')).toMatch(/^blob:/);
    // Reloaded, the page scores the taught gesture again (kept in the browser's storage) …
    await page.reload();
    await page.waitForSelector('body[data-state="running"]', { timeout: 120_000 });
    expect(await page.textContent('#taught')).toContain('taught: wave');
    // … until it is forgotten.
    await page.click('#taught button');
    await page.waitForFunction(() => (window as unknown as { cocodiffWebcam: PageStats }).cocodiffWebcam.taught.length === 0, null, { timeout: 60_000 });
    expect(await page.textContent('#taught')).toBe('');
    // "load learned.json" brings it back from the saved file.
    await page.setInputFiles('#load-learned', { name: 'learned.json', mimeType: 'application/json', buffer: Buffer.from(s.learnedJson!) });
    await page.waitForFunction(() => (window as unknown as { cocodiffWebcam: PageStats }).cocodiffWebcam.taught.includes('wave'), null, { timeout: 60_000 });
    expect(await page.textContent('#record-status')).toBe('loaded learned.json');
    expect(pageErrors).toEqual([]);
  });
});

describe.skipIf(!canRun)("the webcam page's messages", () => {
  it('says when no one is in view, and the recognizer reports no action', async () => {
    const empty = join(dir, 'empty-room.y4m');
    const run = spawnSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=0x9a9a9a:s=320x240:r=30', '-t', '1', '-pix_fmt', 'yuv420p', '-f', 'yuv4mpegpipe', empty]);
    expect(run.status).toBe(0);
    const own = await launchWithFakeCamera(empty);
    try {
      const p = await own.newPage();
      await p.goto(`${url}?stride=2`);
      await p.waitForFunction(() => (window as unknown as { cocodiffWebcam: PageStats }).cocodiffWebcam.predictions >= 2, null, { timeout: 240_000, polling: 200 });
      const [s, status, label] = await p.evaluate(() => [(window as unknown as { cocodiffWebcam: PageStats }).cocodiffWebcam, document.getElementById('status')!.textContent, document.getElementById('label')!.textContent] as const);
      expect(s.withPerson).toBe(0);
      expect(status).toBe('no person in view: step into the picture');
      // Empty frames still reach the recognizer, which says no one is there rather than guessing.
      expect(s.sent).toBe(s.estimated - s.droppedForRecognizer);
      expect(s.label).toBeNull();
      expect(label).toBe('no action');
    } finally {
      await own.close();
    }
  });

  for (const [what, y4mPath, permission, message] of [
    ['no camera at all', null, true, /^no camera found: connect one and reload$/],
    ['camera permission denied', 'y4m', false, /^camera permission denied: allow the camera/],
  ] as const) {
    it(`says so in one line: ${what}`, async () => {
      const own = await launchWithFakeCamera(y4mPath && y4m, { permission });
      try {
        const p = await own.newPage();
        await p.goto(url);
        await p.waitForSelector('body[data-state="error-camera"]', { timeout: 60_000 });
        expect(await p.textContent('#status')).toMatch(message);
      } finally {
        await own.close();
      }
    });
  }
});
