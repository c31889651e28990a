/**
 * Prepares the browser example for serving: the `cocodiff-runtime` package bundled by esbuild into
 * one plain ES module (runtime.js, no bundler needed by the page), the page itself, the recognizer
 * and a recording.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sidecarPathFor, type Sequence } from 'cocodiff-runtime/node';
import { build } from 'esbuild';

const HERE = dirname(fileURLToPath(import.meta.url));

/** Bundles the runtime package's browser entry into `outFile`, as an app's bundler would. */
export async function buildBrowserRuntime(outFile: string): Promise<void> {
  await build({
    stdin: { contents: "export * from 'cocodiff-runtime';", resolveDir: HERE, loader: 'js' },
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', outfile: outFile, logLevel: 'error',
  });
}

/** The page's recording format: the Sequence fields with the data as a plain list. */
export function recordingJson(seq: Sequence): string {
  const { layout, frames, persons, joints, coords, name, label } = seq;
  return JSON.stringify({ layout, frames, persons, joints, coords, name, label, data: Array.from(seq.data, (x) => Math.round(x * 1e5) / 1e5) });
}

/**
 * Writes everything the page needs into `dir`: index.html, app.js, runtime.js, recognizer.wasm (+ .json),
 * recording.json, and learned.json when given (taught gestures: the page loads it with `?learned=learned.json`).
 */
export async function prepareSite(dir: string, wasmPath: string, recording: Sequence, learnedPath?: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await copyFile(join(HERE, 'index.html'), join(dir, 'index.html'));
  await copyFile(join(HERE, 'app.js'), join(dir, 'app.js'));
  await buildBrowserRuntime(join(dir, 'runtime.js'));
  await copyFile(wasmPath, join(dir, 'recognizer.wasm'));
  await copyFile(sidecarPathFor(wasmPath), join(dir, 'recognizer.json')).catch(() => undefined);
  await writeFile(join(dir, 'recording.json'), recordingJson(recording));
  if (learnedPath) await copyFile(learnedPath, join(dir, 'learned.json'));
}
