/**
 * A screenshot of the webcam page with a video as its camera (how docs/images/webcam-page.png was made):
 *
 *   npx tsx examples/webcam/screenshot.ts RECOGNIZER.wasm VIDEO OUT.png [--frames 32] [--size 640x480]
 *
 * The page runs in headless chromium (fake camera: VIDEO through ffmpeg as y4m) until it has
 * estimated --frames frames, then the page is photographed and its counters printed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { serveDir } from '../browser/serve.ts';
import { prepareWebcamSite } from './build.ts';
import { launchWithFakeCamera, videoToY4m } from './fake-camera.ts';

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { frames: { type: 'string', default: '32' }, size: { type: 'string', default: '640x480' } } });
  const [wasm, video, out] = positionals;
  const [width, height] = values.size.split('x').map(Number);
  const frames = Number(values.frames);
  if (!wasm || !video || !out || !(width > 0 && height > 0) || !(frames > 0)) {
    console.error('usage: npx tsx examples/webcam/screenshot.ts RECOGNIZER.wasm VIDEO OUT.png [--frames 32] [--size 640x480]');
    process.exit(2);
  }
  const dir = await mkdtemp(join(tmpdir(), 'cocodiff-webcam-shot-'));
  videoToY4m(video, join(dir, 'camera.y4m'), { width, height, fps: 30, seconds: 10 });
  await prepareWebcamSite(join(dir, 'site'), wasm);
  const { server, url } = await serveDir(join(dir, 'site'));
  const browser = await launchWithFakeCamera(join(dir, 'camera.y4m'));
  try {
    const page = await browser.newPage({ viewport: { width: 720, height: 820 } });
    await page.goto(url);
    await page.waitForSelector('body[data-state="running"], body[data-state^="error"]', { timeout: 120_000 });
    await page.waitForFunction((n) => (window as unknown as { cocodiffWebcam: { estimated: number } }).cocodiffWebcam.estimated >= n, frames, { timeout: 600_000, polling: 200 });
    await page.screenshot({ path: out });
    console.log(await page.textContent('#stats'));
    console.log(`label ${await page.textContent('#label')}; screenshot ${out}`);
  } finally {
    await browser.close();
    server.close();
    await rm(dir, { recursive: true, force: true });
  }
}
