/**
 * `npm run webcam`: serves the webcam page on a loopback port.
 *
 *   npm run webcam [-- --model RECOGNIZER.wasm] [--learned learned.json] [--port 8080]
 *
 * Without --model it uses the camera model in demo-output/camera/, and first builds it there when
 * there is none (`cocodiff demo --camera --per-class 24 --epochs 8`: synthetic camera keypoints,
 * trained and compiled; a few minutes). The site is written to a temporary folder and served on
 * 127.0.0.1, which browsers treat as a secure origin, so the page may ask for the camera.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { serveDir } from '../browser/serve.ts';
import { prepareWebcamSite } from './build.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where `npm run webcam` keeps the camera model it builds when given none. */
export const DEFAULT_MODEL_DIR = join(ROOT, 'demo-output', 'camera');
/** The demo's settings for that model: the camera preset as docs/data.md measured it (213 s there). */
const DEMO_ARGS = ['demo', '--camera', '--per-class', '24', '--epochs', '8', '--out', DEFAULT_MODEL_DIR];

function readFlags(argv: string[]): { model?: string; learned?: string; port: number } {
  let values;
  try {
    ({ values } = parseArgs({ args: argv, options: { model: { type: 'string' }, learned: { type: 'string' }, port: { type: 'string', default: '8080' } } }));
  } catch (err) {
    throw new UserError(`${(err as Error).message}; usage: npm run webcam -- [--model recognizer.wasm] [--learned learned.json] [--port 8080]`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UserError(`--port: expected a port number 0–65535, found ${JSON.stringify(values.port)}`);
  for (const flag of ['model', 'learned'] as const) {
    if (values[flag] !== undefined && !existsSync(values[flag])) throw new UserError(`--${flag} ${values[flag]}: no such file`);
  }
  return { model: values.model, learned: values.learned, port };
}

/** The default camera model, built by `cocodiff demo --camera` when missing. */
function defaultModel(): string {
  const wasm = join(DEFAULT_MODEL_DIR, 'recognizer.wasm');
  if (existsSync(wasm)) return wasm;
  console.error(`no --model given and none in ${DEFAULT_MODEL_DIR}: building the demo camera model (cocodiff ${DEMO_ARGS.join(' ')}), a few minutes`);
  const run = spawnSync(process.execPath, [join(ROOT, 'bin', 'cocodiff.js'), ...DEMO_ARGS], { stdio: 'inherit' });
  if (run.status !== 0 || !existsSync(wasm)) throw new UserError(`building the demo camera model failed (cocodiff ${DEMO_ARGS.join(' ')} exited with ${run.status ?? run.signal}); give one with --model`);
  return wasm;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  try {
    const flags = readFlags(process.argv.slice(2));
    const wasm = flags.model ? resolve(flags.model) : defaultModel();
    const site = join(tmpdir(), 'cocodiff-webcam-example');
    await prepareWebcamSite(site, wasm, flags.learned);
    const { url } = await serveDir(site, flags.port);
    console.log(`webcam page for ${wasm}: open ${url}${flags.learned ? '?learned=learned.json' : ''} (Ctrl-C to stop)`);
  } catch (err) {
    if (!(err instanceof UserError)) throw err;
    console.error(`npm run webcam: ${err.message}`);
    process.exit(2);
  }
}
