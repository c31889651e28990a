/**
 * Serves the browser example on a loopback port:
 *   npx tsx examples/browser/serve.ts RECOGNIZER.wasm [RECORDING] [--port 8080]
 * RECORDING is a .skeleton, Kinetics .json or .npy; without one, a held-out synthetic recording.
 */
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { tmpdir } from 'node:os';
import { loadRecording, type Sequence } from 'cocodiff-runtime/node';
import { synthesize } from '../../trainer/data/synth/index.ts';
import { prepareSite } from './build.ts';

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.json': 'application/json', '.wasm': 'application/wasm' };

/** A static file server for `dir` on 127.0.0.1 (port 0: any free one). */
export function serveDir(dir: string, port = 0): Promise<{ server: Server; url: string }> {
  const server = createServer(async (req, res) => {
    const asked = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = asked.endsWith('/') ? asked + 'index.html' : asked;
    try {
      const body = await readFile(join(dir, file));
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((resolve) => server.listen(port, '127.0.0.1', () => {
    const address = server.address();
    resolve({ server, url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}/` });
  }));
}

/** A held-out synthetic recording (test subject), for trying the page without data. */
export function sampleRecording(seed = 1, index = 0): Sequence {
  let i = 0;
  for (const s of synthesize({ perClass: 3, seed })) if (s.split === 'test' && i++ === index) return s.sequence;
  throw new Error('no synthetic test recording');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const portAt = args.indexOf('--port');
  const port = portAt >= 0 ? Number(args.splice(portAt, 2)[1]) : 8080;
  const [wasm, recordingPath] = args;
  if (!wasm) {
    console.error('usage: npx tsx examples/browser/serve.ts RECOGNIZER.wasm [RECORDING] [--port 8080]');
    process.exit(2);
  }
  const site = join(tmpdir(), 'cocodiff-browser-example');
  await prepareSite(site, wasm, recordingPath ? await loadRecording(recordingPath) : sampleRecording());
  const { url } = await serveDir(site, port);
  console.log(`open ${url} (Ctrl-C to stop)`);
}
