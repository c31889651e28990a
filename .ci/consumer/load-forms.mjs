// The runtime package's three ways to load a recognizer, as an app uses them: a file path, a URL
// (served over http here), and the bytes with the sidecar object (what a bundler or a worker
// hands over). All three must load the compiler's output and agree on the recording's top class.
//   node load-forms.mjs RECOGNIZER.wasm RECORDING
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { loadRecording, Recognizer, sidecarPathFor } from 'cocodiff-runtime';

const [wasm, recording] = process.argv.slice(2);
const root = dirname(wasm);
const server = createServer(async (req, res) => {
  try {
    const body = await readFile(join(root, basename(decodeURIComponent(new URL(req.url, 'http://host').pathname))));
    res.writeHead(200, { 'content-type': req.url.endsWith('.wasm') ? 'application/wasm' : 'application/json' }).end(body);
  } catch {
    res.writeHead(404).end();
  }
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
try {
  const seq = await loadRecording(recording);
  const forms = {
    path: await Recognizer.load(wasm),
    url: await Recognizer.load(`http://127.0.0.1:${server.address().port}/${basename(wasm)}`),
    'bytes + sidecar': await Recognizer.load(await readFile(wasm), { sidecar: JSON.parse(await readFile(sidecarPathFor(wasm), 'utf8')) }),
  };
  const tops = Object.entries(forms).map(([form, r]) => [form, r.classify(seq).top[0].label]);
  if (new Set(tops.map(([, label]) => label)).size !== 1) throw new Error(`the load forms disagree: ${JSON.stringify(tops)}`);
  console.log(`${tops.map(([form]) => form).join(', ')}: ${tops[0][1]}`);
} finally {
  server.close();
}
