/**
 * Prepares the webcam page for serving: the page, its worker, the `cocodiff-runtime` package as one
 * browser module (as the browser example bundles it), MediaPipe's pose solution copied from its npm
 * package (script, wasm and the BlazePose weights: nothing is fetched from a CDN) with the settings
 * `cocodiff video` runs it with, the recognizer and, when given, a learned.json of taught gestures.
 */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidecarPathFor } from 'cocodiff-runtime/node';
import { buildBrowserRuntime } from '../browser/build.ts';
import { DEFAULT_BLAZEPOSE, poseFilesDir } from '../../cli/video/blazepose.ts';

const HERE = dirname(fileURLToPath(import.meta.url));
const PAGE_FILES = ['index.html', 'app.js', 'recognizer-worker.js'];

/** Writes the site into `dir`: the page, runtime.js, mediapipe/, blazepose.json, recognizer.wasm (+ .json) and learned.json when given. */
export async function prepareWebcamSite(dir: string, wasmPath: string, learnedPath?: string): Promise<void> {
  await mkdir(join(dir, 'mediapipe'), { recursive: true });
  for (const f of PAGE_FILES) await copyFile(join(HERE, f), join(dir, f));
  await buildBrowserRuntime(join(dir, 'runtime.js'));
  // Every file the solution may load (its loader picks the SIMD or plain wasm; modelComplexity picks the weights).
  const poseFiles = poseFilesDir();
  for (const f of await readdir(poseFiles)) {
    if (!/\.(d\.ts|md|json)$/.test(f)) await copyFile(join(poseFiles, f), join(dir, 'mediapipe', f));
  }
  await writeFile(join(dir, 'blazepose.json'), JSON.stringify(DEFAULT_BLAZEPOSE));
  await copyFile(wasmPath, join(dir, 'recognizer.wasm'));
  await copyFile(sidecarPathFor(wasmPath), join(dir, 'recognizer.json')).catch(() => undefined);
  if (learnedPath) await copyFile(learnedPath, join(dir, 'learned.json'));
}
