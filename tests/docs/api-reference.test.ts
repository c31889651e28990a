/**
 * The runtime package's API reference builds from its doc comments with no warning: `npm run docs:api`
 * (TypeDoc, warnings as errors, every export required to be documented) run as written in
 * package.json, into a temporary folder instead of docs/api/.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, writeFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '../..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-api-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `npm run docs:api -- ARGS`: its exit code and everything it printed, colours removed. */
async function docsApi(...args: string[]): Promise<{ code: number; output: string }> {
  const run = promisify(execFile)('npm', ['run', '--silent', 'docs:api', '--', ...args], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1' } });
  const { code, stdout, stderr } = await run.then(
    (r) => ({ code: 0, ...r }),
    (err: { code: number; stdout: string; stderr: string }) => err,
  );
  return { code, output: `${stdout}${stderr}`.replace(/\x1b\[[0-9;]*m/g, '') };
}

describe('npm run docs:api', () => {
  it('documents the runtime package with no warning', async () => {
    const out = join(dir, 'api');
    const { code, output } = await docsApi('--out', out);
    expect(output).not.toMatch(/\[(warning|error)\]/);
    expect(code).toBe(0);
    // The class an app starts from, with its members' doc comments, in the browser entry; the Node entry's own additions.
    const recognizer = await readFile(join(out, 'classes', 'cocodiff-runtime.Recognizer.html'), 'utf8');
    expect(recognizer).toContain('Loads a recognizer from bytes, a file path (Node), or a URL');
    expect(recognizer).toContain('Streams one camera frame');
    const node = await readFile(join(out, 'modules', 'cocodiff-runtime_node.html'), 'utf8');
    expect(node).toContain('loadRecording');
  });

  it('fails on an export without a doc comment, naming it', async () => {
    const src = join(dir, 'undocumented');
    await mkdir(src);
    await writeFile(join(src, 'index.ts'), '/** Documented. */\nexport function documented(): void {}\nexport function undocumented(): void {}\n');
    await writeFile(join(src, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, module: 'NodeNext', target: 'ES2022', types: [] }, files: ['index.ts'] }));
    // The project's options with only the sources swapped (a --tsconfig flag would come too late:
    // TypeDoc reads the tsconfig named in the options file before the command line's last word).
    await writeFile(join(src, 'typedoc.json'), JSON.stringify({ extends: [join(ROOT, 'runtime-as', 'typedoc.json')], name: 'probe', entryPoints: ['index.ts'], tsconfig: 'tsconfig.json', out: 'api' }));
    const { code, output } = await docsApi('--options', join(src, 'typedoc.json'));
    expect(code).not.toBe(0);
    expect(output).toMatch(/\[warning\] undocumented \(CallSignature\), .* does not have any documentation/);
    expect(output).not.toMatch(/\[warning\] documented /);
  });
});
