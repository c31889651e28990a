/**
 * BlazePose for Node, run where it is built to run: MediaPipe's `@mediapipe/pose` (an npm package that
 * ships BlazePose's .tflite weights with its wasm) in a headless Chromium driven by playwright-core.
 * The page (estimator-page.ts) is served by request interception from the package's files, so
 * nothing is fetched from a network or a model hub, and the landmarks are the ones a web page running
 * the same package computes for the same picture.
 *
 * Why not a pure-Node estimator: `@mediapipe/tasks-vision` runs BlazePose too, but its npm package
 * holds only the wasm (checked: 0.10.21 and 1.1.0), and the `.task` model it needs is downloaded
 * from a model hub; `@tensorflow-models/pose-detection` also loads its weights from a hub at run
 * time; `@mediapipe/pose` needs WebGL and the DOM, which Node lacks.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { UserError } from 'cocodiff-runtime/shared/errors';
import type { BlazePoseLandmark } from 'cocodiff-runtime';
import { printable } from '../../common/terminal.ts';
import { CHROMIUM_FLAGS, CHROMIUM_HINT } from '../../common/chromium.ts';
import { ESTIMATOR_PAGE_HTML, FRAME_PATH, PAGE_ORIGIN, POSE_FILES_PATH } from './estimator-page.ts';

/** BlazePose's three models: lite (fastest), full (MediaPipe's default), heavy (most accurate). */
export type ModelComplexity = 0 | 1 | 2;

/** The settings of MediaPipe's pose solution that `cocodiff video` uses (its documented options). */
export interface BlazePoseSettings {
  modelComplexity: ModelComplexity;
  /** Smooth landmarks across frames (MediaPipe's one-euro filter); the frames are a video, so on. */
  smoothLandmarks: boolean;
  minDetectionConfidence: number;
  minTrackingConfidence: number;
  /** Mirror the image (for a front camera); off: keypoints stay in the video's own image. */
  selfieMode: boolean;
}

/**
 * The settings of `cocodiff video` and of the webcam page (examples/webcam/build.ts writes them into
 * the site as blazepose.json), so that a video gives the keypoints the page gives: the lite model (full and heavy are 2–3× slower in a software-rendered Chromium), smoothing
 * on, MediaPipe's 0.5 confidences, no mirroring.
 */
export const DEFAULT_BLAZEPOSE: BlazePoseSettings = { modelComplexity: 0, smoothLandmarks: true, minDetectionConfidence: 0.5, minTrackingConfidence: 0.5, selfieMode: false };

/** The folder of the installed `@mediapipe/pose` package. */
export function poseFilesDir(): string {
  try {
    return dirname(createRequire(import.meta.url).resolve('@mediapipe/pose/package.json'));
  } catch {
    throw new UserError('the npm package @mediapipe/pose is not installed (it holds BlazePose\'s weights): reinstall cocodiff, or run npm install @mediapipe/pose');
  }
}

const CONTENT_TYPES: Record<string, string> = { '.js': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };

/**
 * Serves the estimator page, the `@mediapipe/pose` files and `extra` (path → bytes, asked for at
 * each request) to `page`, refusing every other address, then loads BlazePose with `settings`
 * (`window.estimator` is then ready; see estimator-page.ts).
 */
export async function loadEstimatorPage(page: Page, settings: BlazePoseSettings, extra: Record<string, () => Uint8Array> = {}): Promise<void> {
  const files = poseFilesDir();
  await page.route('**/*', async (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== PAGE_ORIGIN) return route.abort('blockedbyclient');
    if (url.pathname === '/') return route.fulfill({ body: ESTIMATOR_PAGE_HTML, contentType: 'text/html' });
    const made = Object.hasOwn(extra, url.pathname) ? extra[url.pathname]() : null;
    if (made) return route.fulfill({ body: Buffer.from(made.buffer, made.byteOffset, made.byteLength), contentType: 'application/octet-stream' });
    const name = url.pathname.startsWith(POSE_FILES_PATH) ? url.pathname.slice(POSE_FILES_PATH.length) : '';
    // Only the package's own flat file names: no path can climb out of it.
    if (!/^[\w.-]+$/.test(name)) return route.fulfill({ status: 404, body: '' });
    try {
      const body = await readFile(join(files, name));
      return route.fulfill({ body, contentType: CONTENT_TYPES[name.slice(name.lastIndexOf('.'))] ?? 'application/octet-stream' });
    } catch {
      return route.fulfill({ status: 404, body: '' });
    }
  });
  await page.goto(`${PAGE_ORIGIN}/`);
  await page.evaluate((options) => (window as unknown as { estimator: { open(o: unknown): Promise<boolean> } }).estimator.open(options), { ...settings });
}

/** One BlazePose running in its own headless Chromium page. Close it when done. */
export class BlazePoseInBrowser {
  private frame: Uint8Array = new Uint8Array(0);

  private constructor(private readonly browser: Browser, private readonly page: Page) {}

  /** Starts Chromium, loads the page and the chosen model (seconds: the wasm compiles, the graph starts). */
  static async open(chromiumPath: string, settings: BlazePoseSettings = DEFAULT_BLAZEPOSE): Promise<BlazePoseInBrowser> {
    const { chromium } = await import('playwright-core');
    let browser: Browser;
    try {
      // Signals are the CLI's to handle (common/temporaries.ts removes the half-written output and
      // ends the process by the signal); Chromium ends with it, when its pipe to this process closes.
      browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_FLAGS, handleSIGINT: false, handleSIGTERM: false, handleSIGHUP: false });
    } catch (err) {
      const first = String((err as Error).message).split('\n').find((l) => l.trim()) ?? '';
      throw new UserError(`${printable(chromiumPath)}: Chromium did not start (${printable(first).slice(0, 200)}); ${CHROMIUM_HINT}`);
    }
    try {
      const page = await browser.newPage();
      const estimator = new BlazePoseInBrowser(browser, page);
      await loadEstimatorPage(page, settings, { [FRAME_PATH]: () => estimator.frame });
      return estimator;
    } catch (err) {
      await browser.close();
      throw err;
    }
  }

  /**
   * BlazePose's 33 landmarks for one RGB frame (width × height × 3 bytes), or null when it finds
   * nobody. `t` (ms) must grow from frame to frame: the tracker and the smoothing follow it.
   */
  async estimate(rgb: Uint8Array, width: number, height: number, t: number): Promise<BlazePoseLandmark[] | null> {
    this.frame = rgb;
    try {
      return await this.page.evaluate(
        ([w, h, at]) => (window as unknown as { estimator: { estimate(w: number, h: number, t: number): Promise<BlazePoseLandmark[] | null> } }).estimator.estimate(w, h, at),
        [width, height, t] as const,
      );
    } catch (err) {
      // Chromium gone (killed, crashed, out of memory): say so in one line, not as a protocol error.
      if (!this.browser.isConnected() || this.page.isClosed()) throw new UserError(`Chromium stopped while BlazePose was estimating a frame at ${(t / 1000).toFixed(3)} s`);
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.browser.close();
  }
}
