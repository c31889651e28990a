/**
 * Serves the browser example on a loopback port:
 *   npx tsx examples/browser/serve.ts RECOGNIZER.wasm [RECORDING] [--port 8080] [--learned learned.json]
 * RECORDING is a .skeleton, Kinetics .json or .npy; without one, sample-recording.npy (a held-out
 * recording of `cocodiff synth`'s first action, [frames, persons, 25, 3]), which suits the
 * recognizer `npm start` compiles.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { loadRecording } from 'cocodiff-runtime/node';
import { prepareSite } from './build.ts';

/** The recording the examples play when given none: a file of their own, read like any other. */
export const SAMPLE_RECORDING = fileURLToPath(new URL('sample-recording.npy', import.meta.url));

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

/** The headers that make a page cross-origin isolated, so that it has SharedArrayBuffer (threaded recognizers). */
export const CROSS_ORIGIN_ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

/** A static file server for `dir` on 127.0.0.1 (port 0: any free one). */
export function serveDir(dir: string, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const asked = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = asked.endsWith('/') ? asked + 'index.html' : asked;
    try {
      const body = await readFile(join(dir, file));
      // Cross-origin isolation: SharedArrayBuffer, which a recognizer compiled with --threads needs.
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', ...CROSS_ORIGIN_ISOLATION }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/` });
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args.splice(portAt, 2)[1]) : 8080;
  const learnedAt = args.indexOf('--learned');
  const learned = learnedAt >= 0 ? args.splice(learnedAt, 2)[1] : undefined;
  const [wasm, recordingPath] = args;
  if (!wasm) {
    console.error('usage: npx tsx examples/browser/serve.ts RECOGNIZER.wasm [RECORDING] [--port 8080] [--learned learned.json]');
    process.exit(2);
  }
  const site = join(tmpdir(), 'cocodiff-browser-example');
  await prepareSite(site, wasm, await loadRecording(recordingPath ?? SAMPLE_RECORDING), learned);
  const { url } = await serveDir(site, port);
  console.log(`open ${url}${learned ? '?learned=learned.json' : ''} (Ctrl-C to stop)`);
}
