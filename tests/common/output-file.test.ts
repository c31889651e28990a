/**
 * Single-file outputs never replace a file that is not cocodiff's own output of the same kind
 * without --force (common/output-file.ts): the recognisers of each kind, and the commands that
 * write single files (text import, forward, export-onnx) driven as cli/main.ts wires them.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as exportOnnxCommand from '../../cli/commands/export-onnx.ts';
import * as forwardCommand from '../../cli/commands/forward.ts';
import * as textCommand from '../../cli/commands/text.ts';
import { checkOutputFile, jsonKind, RAW_FLOAT32, RECOGNIZER_SIDECAR, RECOGNIZER_WASM } from '../../common/output-file.ts';
import { SIDECAR_FORMAT } from 'cocodiff-runtime/shared/sidecar';
import { embedSidecar } from '../../compiler/emit.ts';
import { ONNX_MODEL } from '../../compiler/onnx/export.ts';
import { modelProto } from '../../compiler/onnx/schema.ts';
import { runCli } from '../helpers/cli.ts';
import { writeRandomArtifact } from '../compiler/artifacts.ts';
import type { CompiledSidecar } from 'cocodiff-runtime/shared/sidecar';

const root = mkdtempSync(join(tmpdir(), 'cocodiff-outfile-'));
afterAll(() => rm(root, { recursive: true, force: true }));
const file = (name: string, content?: string | Uint8Array): string => {
  const path = join(root, name);
  if (content !== undefined) writeFileSync(path, content);
  return path;
};

/** The smallest valid wasm module: magic and version. */
const EMPTY_WASM = Uint8Array.from([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
const sidecar = { format: SIDECAR_FORMAT, classes: ['a'] } as unknown as CompiledSidecar;
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('what each kind recognises as ours', () => {
  it('a recognizer .wasm: a module whose cocodiff section holds a recognizer sidecar', () => {
    expect(RECOGNIZER_WASM.isOurs!(embedSidecar(EMPTY_WASM, sidecar))).toBe(true);
    expect(RECOGNIZER_WASM.isOurs!(EMPTY_WASM)).toBe(false);
    expect(RECOGNIZER_WASM.isOurs!(embedSidecar(EMPTY_WASM, { ...sidecar, format: 'other' } as unknown as CompiledSidecar))).toBe(false);
    expect(RECOGNIZER_WASM.isOurs!(bytes('notes, not a module'))).toBe(false);
    // Cut inside the section: its declared size runs past the end.
    const whole = embedSidecar(EMPTY_WASM, sidecar);
    expect(RECOGNIZER_WASM.isOurs!(whole.subarray(0, whole.length - 3))).toBe(false);
  });

  it('a JSON output: its format field', () => {
    expect(RECOGNIZER_SIDECAR.isOurs!(bytes(JSON.stringify(sidecar)))).toBe(true);
    expect(RECOGNIZER_SIDECAR.isOurs!(bytes('{"format": "cocodiff-plan"}'))).toBe(false);
    expect(RECOGNIZER_SIDECAR.isOurs!(bytes('{"notes": ["buy milk"]}'))).toBe(false);
    expect(RECOGNIZER_SIDECAR.isOurs!(bytes('["cocodiff-recognizer"]'))).toBe(false);
    expect(jsonKind('x', 'cocodiff-x').isOurs!(bytes('not json'))).toBe(false);
  });

  it('an ONNX model: producer_name "cocodiff", not another tool\'s', async () => {
    const { exportOnnx } = await import('../../compiler/onnx/export.ts');
    const { loadArtifact } = await import('../../compiler/load.ts');
    await writeRandomArtifact(join(root, 'onnx-art'), { width: 0.25, blocks: 2, T: 8, seed: 3 });
    const model = exportOnnx((await loadArtifact(join(root, 'onnx-art'))).artifact, {});
    expect(ONNX_MODEL.isOurs!(model.bytes)).toBe(true);
    const Model = modelProto();
    expect(ONNX_MODEL.isOurs!(Model.encode(Model.fromObject({ ir_version: 7, producer_name: 'pytorch' })).finish())).toBe(false);
    expect(ONNX_MODEL.isOurs!(bytes('my notes'))).toBe(false);
  });
});

describe('checkOutputFile', () => {
  it('writes a missing file, replaces our own, refuses anything else without --force naming the file', async () => {
    await checkOutputFile(file('new.json'), RECOGNIZER_SIDECAR);
    await checkOutputFile(file('ours.json', JSON.stringify(sidecar)), RECOGNIZER_SIDECAR);
    const notes = file('notes.json', '{"notes": 1}');
    await expect(checkOutputFile(notes, RECOGNIZER_SIDECAR)).rejects.toThrow(
      `${notes}: exists and is not a recognizer sidecar that cocodiff wrote; nothing was replaced. Replace it with --force, or choose another output path`);
    await checkOutputFile(notes, RECOGNIZER_SIDECAR, true);
  });

  it('refuses any existing file of a kind that carries no mark, unless forced', async () => {
    const logits = file('logits.bin', new Uint8Array(8));
    await expect(checkOutputFile(logits, RAW_FLOAT32)).rejects.toThrow(`${logits}: exists, and a raw float32 file carries no mark of what wrote it; nothing was replaced. Replace it with --force`);
    await checkOutputFile(logits, RAW_FLOAT32, true);
  });

  it('never replaces a directory, even forced', async () => {
    const dir = join(root, 'dir.wasm');
    mkdirSync(dir);
    await expect(checkOutputFile(dir, RECOGNIZER_WASM, true)).rejects.toThrow(`${dir}: exists and is not a file`);
  });

  it('a path through a file is refused in words, not a bare error code', async () => {
    const blocker = file('blocker.txt', 'user notes');
    await expect(checkOutputFile(join(blocker, 'out.wasm'), RECOGNIZER_WASM))
      .rejects.toThrow(`${blocker}/out.wasm: cannot check the output file (a part of the path is a file, not a directory (ENOTDIR))`);
  });
});

describe('commands that write one file', () => {
  let art: string;
  beforeAll(async () => {
    art = join(root, 'art');
    await writeRandomArtifact(art, { width: 0.25, blocks: 2, T: 8, seed: 4 });
  });

  it('text import: refuses the user\'s file, replaces its own output, and --force replaces anything', async () => {
    const synonyms = file('syn.txt', 'wave,waving\n');
    const parts = file('parts.txt', 'wave;head still;hand waves;arm raised;hips still;legs still;feet still\n');
    const out = file('my-notes.json', '{"mine": true}\n');
    const importTo = (...more: string[]) => runCli([textCommand], 'text', 'import', '--synonyms', synonyms, '--parts', parts, '--out', out, ...more);
    await expect(importTo()).rejects.toThrow(`${out}: exists and is not a descriptions file that cocodiff wrote`);
    expect(readFileSync(out, 'utf8')).toBe('{"mine": true}\n');
    await importTo('--force');
    expect(JSON.parse(readFileSync(out, 'utf8')).format).toBe('cocodiff-text');
    await importTo('--dataset', 'again'); // its own earlier output: no --force needed
    expect(JSON.parse(readFileSync(out, 'utf8')).dataset).toBe('again');
  });

  it('forward: an existing --out or --features file is refused before the model runs', async () => {
    const input = file('input.bin', new Uint8Array(4));
    const features = file('features.bin', 'user data');
    await expect(runCli([forwardCommand], 'forward', art, '--input', input, '--out', file('fresh.bin'), '--features', features))
      .rejects.toThrow(`${features}: exists, and a raw float32 file carries no mark of what wrote it`);
    expect(readFileSync(features, 'utf8')).toBe('user data');
  });

  it('export-onnx: refuses another tool\'s file; replaces its own', async () => {
    const theirs = file('theirs.onnx', 'a model from elsewhere');
    await expect(runCli([exportOnnxCommand], 'export-onnx', art, '-o', theirs)).rejects.toThrow(`${theirs}: exists and is not an ONNX model that cocodiff wrote`);
    expect(readFileSync(theirs, 'utf8')).toBe('a model from elsewhere');
    const ours = file('ours.onnx');
    await runCli([exportOnnxCommand], 'export-onnx', art, '-o', ours);
    await runCli([exportOnnxCommand], 'export-onnx', art, '-o', ours, '--batch', '2');
    expect(ONNX_MODEL.isOurs!(readFileSync(ours))).toBe(true);
  });
});
