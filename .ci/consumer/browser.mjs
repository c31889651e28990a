// Bundles browser-app.ts (in the scratch project, against its installed cocodiff-runtime) with
// esbuild for browsers, serves it with the recognizer and the recording, opens it in headless
// Chromium and prints what the page shows. Run from the repository (playwright-core, esbuild).
//   node browser.mjs SCRATCH_DIR
import { readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { extname, join } from 'node:path';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';

const dir = process.argv[2];
const { metafile } = await build({
  entryPoints: [join(dir, 'browser-app.ts')], bundle: true, format: 'esm', platform: 'browser',
  target: 'es2022', outfile: join(dir, 'site', 'app.js'), metafile: true, logLevel: 'error',
});
const inputs = Object.keys(metafile.inputs);
if (!inputs.some((p) => p.includes('node_modules/cocodiff-runtime/dist/'))) throw new Error(`the bundle did not take cocodiff-runtime's build: ${inputs.join(', ')}`);
await writeFile(join(dir, 'site', 'index.html'), '<!doctype html><meta charset="utf-8"><body data-state="loading"><script type="module" src="app.js"></script>');

const types = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };
const server = createServer(async (req, res) => {
  const file = new URL(req.url ?? '/', 'http://x').pathname.replace(/^\/$/, '/index.html').replace(/\.\./g, '');
  const body = await readFile(join(dir, 'site', file)).catch(() => null);
  if (body) res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' }).end(body);
  else res.writeHead(404).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu'] });
try {
  const page = await browser.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForSelector('body[data-state="done"]', { timeout: 60_000 }).catch(() => undefined);
  if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
  console.log((await page.textContent('body')).trim());
} finally {
  await browser.close();
  server.close();
}
