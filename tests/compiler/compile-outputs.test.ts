/**
 * `compile` never replaces the user's files (issue 26): the sidecar beside `-o`, the `--emit-as`
 * folder and the `--plan` file are written only over a new path or an earlier compile's output;
 * other files need --force, other folders are refused. Driven through the command as the CLI runs it.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as compileCommand from '../../cli/commands/compile.ts';
import { SIDECAR_FORMAT } from 'cocodiff-runtime/shared/sidecar';
import { runCli } from '../helpers/cli.ts';
import { writeRandomArtifact } from './artifacts.ts';

const root = mkdtempSync(join(tmpdir(), 'cocodiff-compile-out-'));
const art = join(root, 'art');
const at = (name: string): string => join(root, name);
const compile = (...args: string[]) => runCli([compileCommand], 'compile', art, ...args);
beforeAll(() => writeRandomArtifact(art, { width: 0.25, blocks: 2, T: 8, K: 3, seed: 5 }));
afterAll(() => rm(root, { recursive: true, force: true }));

it('refuses to replace the user\'s notes.json with the sidecar of -o notes.wasm; --force replaces it', async () => {
  writeFileSync(at('notes.json'), 'my notes\n');
  await expect(compile('-o', at('notes.wasm'))).rejects.toThrow(
    `${at('notes.json')}: exists and is not a recognizer sidecar that cocodiff wrote; nothing was replaced. Replace it with --force`);
  expect(readFileSync(at('notes.json'), 'utf8')).toBe('my notes\n');
  expect(readdirSync(root).sort()).toEqual(['art', 'notes.json']); // no .wasm, no temporaries

  await compile('-o', at('notes.wasm'), '--force');
  expect(JSON.parse(readFileSync(at('notes.json'), 'utf8')).format).toBe(SIDECAR_FORMAT);
});

it('replaces its own earlier .wasm, sidecar and plan without --force, but not a .wasm of another kind', async () => {
  await compile('-o', at('rec.wasm'), '--plan', at('plan.json'));
  const first = readFileSync(at('rec.json'), 'utf8');
  await compile('-o', at('rec.wasm'), '--plan', at('plan.json'), '--window-frames', '9');
  expect(JSON.parse(readFileSync(at('rec.json'), 'utf8')).windowFrames).toBe(9);
  expect(readFileSync(at('rec.json'), 'utf8')).not.toBe(first);
  expect(JSON.parse(readFileSync(at('plan.json'), 'utf8')).format).toBe('cocodiff-plan');

  // A plain module with no cocodiff section is someone else's.
  writeFileSync(at('other.wasm'), Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]));
  await expect(compile('-o', at('other.wasm'))).rejects.toThrow(`${at('other.wasm')}: exists and is not a recognizer .wasm that cocodiff wrote`);
});

it('refuses a --plan file that is the user\'s, or the sidecar\'s path', async () => {
  writeFileSync(at('mine.json'), '{"todo": []}\n');
  await expect(compile('-o', at('p.wasm'), '--plan', at('mine.json'))).rejects.toThrow(`${at('mine.json')}: exists and is not a codegen plan that cocodiff wrote`);
  expect(readFileSync(at('mine.json'), 'utf8')).toBe('{"todo": []}\n');
  await expect(compile('-o', at('p.wasm'), '--plan', at('p.json'))).rejects.toThrow(`${at('p.json')} is also where the recognizer sidecar goes`);
});

it('--emit-as writes a new folder, replaces its own earlier one, and never writes into a folder of the user\'s', async () => {
  mkdirSync(at('src'));
  writeFileSync(at('src/network.ts'), '// the user\'s own code\n');
  await expect(compile('-o', at('e.wasm'), '--emit-as', at('src'))).rejects.toThrow(`${at('src')}: holds files cocodiff did not write there (network.ts)`);
  expect(readdirSync(at('src'))).toEqual(['network.ts']);
  expect(readFileSync(at('src/network.ts'), 'utf8')).toBe('// the user\'s own code\n');
  // The refusal came before anything was written.
  expect(readdirSync(root)).not.toContain('e.wasm');

  await expect(compile('-o', at('gen/e.wasm'), '--emit-as', at('gen'))).rejects.toThrow(
    `${at('gen')} holds the generated sources alone, not the recognizer .wasm ${at('gen/e.wasm')}`);
  await compile('-o', at('e.wasm'), '--emit-as', at('gen'));
  expect(readFileSync(at('gen/network.ts'), 'utf8')).toContain('export function network_forward');
  await compile('-o', at('e.wasm'), '--emit-as', at('gen'), '--window-frames', '11');
  expect(readFileSync(at('gen/config.ts'), 'utf8')).toContain('WINDOW_FRAMES: i32 = 11;');
});
