/**
 * The sidecar's wasmSha256 is defined once (runtime-as/shared/wasm-identity.ts): the sha256 of the module
 * without its `cocodiff` section. On real compiler output, every way of loading agrees with it:
 * bytes with the sidecar object (what `bench` and apps do), the path, a file: URL; the embedded
 * sidecar is checked too, and a `.json` that contradicts it is refused naming both.
 */
import { createHash } from 'node:crypto';
import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recognizer, SIDECAR_SECTION } from 'cocodiff-runtime';
import { recognizerSha256, withoutSidecarSection } from 'cocodiff-runtime/shared/wasm-identity';
import { compileArtifact } from '../../compiler/index.ts';
import { writeRandomArtifact } from '../compiler/artifacts.ts';
import { withCustomSection } from '../helpers/wasm-sections.ts';

let dir: string;
const wasm = { a: '', b: '' };
const json = (path: string): string => path.replace(/\.wasm$/, '.json');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cocodiff-identity-'));
  for (const [name, seed] of [['a', 1], ['b', 2]] as const) {
    await writeRandomArtifact(join(dir, `art-${name}`), { width: 0.125, blocks: 2, T: 16, M: 1, K: 3 + seed, seed });
    wasm[name] = (await compileArtifact(join(dir, `art-${name}`), { out: join(dir, `${name}.wasm`) })).wasmPath;
  }
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

describe('one definition of wasmSha256', () => {
  it('is the hash of the module without its cocodiff section, which every other byte changes', async () => {
    const bytes = new Uint8Array(await readFile(wasm.a));
    const sidecar = JSON.parse(await readFile(json(wasm.a), 'utf8'));
    const code = withoutSidecarSection(bytes);
    expect(code.length).toBeLessThan(bytes.length);
    expect(WebAssembly.Module.customSections(new WebAssembly.Module(code as BufferSource), SIDECAR_SECTION)).toHaveLength(0);
    expect(sidecar.wasmSha256).toBe(sha256(code));
    expect(await recognizerSha256(bytes)).toBe(sidecar.wasmSha256);
    expect(sidecar.wasmSha256).not.toBe(sha256(bytes));
    // Another custom section is part of the identity; a second cocodiff section is not.
    expect(await recognizerSha256(withCustomSection(bytes, 'producers', new Uint8Array([1])))).not.toBe(sidecar.wasmSha256);
    expect(await recognizerSha256(withCustomSection(bytes, SIDECAR_SECTION, new Uint8Array([1])))).toBe(sidecar.wasmSha256);
  });

  it('refuses bytes that are not a module, or whose sections run past the end', () => {
    expect(() => withoutSidecarSection(new TextEncoder().encode('hello wasm'), 'x.wasm')).toThrow(/^x\.wasm: not a WebAssembly module/);
    const cut = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 0x20, 0]);
    expect(() => withoutSidecarSection(cut, 'cut.wasm')).toThrow(/^cut\.wasm: section at byte 8 runs past the end/);
  });
});

describe('every load form accepts the compiler\'s own output', () => {
  it('bytes + the sidecar object, the path, and a file: URL', async () => {
    const bytes = new Uint8Array(await readFile(wasm.a));
    const sidecar = JSON.parse(await readFile(json(wasm.a), 'utf8'));
    for (const r of [
      await Recognizer.load(bytes, { sidecar }),
      await Recognizer.load(wasm.a),
      await Recognizer.load(pathToFileURL(wasm.a)),
      await Recognizer.load(bytes, { sidecar: json(wasm.a) }),
    ]) expect(r.labels).toEqual(sidecar.classes);
  });
});

describe('sidecars that do not belong', () => {
  it('a .wasm beside another model\'s .json is refused with both names', async () => {
    const mixed = join(dir, 'mixed.wasm');
    await copyFile(wasm.a, mixed);
    await copyFile(json(wasm.b), json(mixed));
    await expect(Recognizer.load(mixed)).rejects.toThrow(`${json(mixed)}: field "wasmSha256" does not match ${mixed}`);
    const bytes = new Uint8Array(await readFile(wasm.a));
    await expect(Recognizer.load(bytes, { sidecar: JSON.parse(await readFile(json(wasm.b), 'utf8')) })).rejects.toThrow(/^the given sidecar: field "wasmSha256" does not match the \.wasm/);
  });

  it('the embedded sidecar is verified: a module changed after compiling is refused, or loaded with a warning when trusted', async () => {
    const bytes = new Uint8Array(await readFile(wasm.a));
    const [section] = WebAssembly.Module.customSections(new WebAssembly.Module(bytes), SIDECAR_SECTION);
    // The code changed (here: an extra section), the embedded sidecar kept: what damage or a careless edit leaves.
    const changed = withCustomSection(withCustomSection(withoutSidecarSection(bytes), 'extra', new Uint8Array([7])), SIDECAR_SECTION, new Uint8Array(section));
    await expect(Recognizer.load(changed)).rejects.toThrow(/^the \.wasm's custom section "cocodiff": field "wasmSha256" does not match the \.wasm .*the \.wasm was damaged or changed after it was compiled/);
    const warnings: string[] = [];
    const r = await Recognizer.load(changed, { trustSidecar: true, onWarning: (m) => warnings.push(m) });
    expect(r.labels).toHaveLength(4);
    expect(warnings).toEqual([expect.stringMatching(/custom section "cocodiff": field "wasmSha256" does not match.*used anyway \(trustSidecar\)$/)]);
  });

  it('a .json that contradicts the embedded sidecar is refused naming both; trusted, it wins with a warning', async () => {
    const edited = join(dir, 'edited.wasm');
    await copyFile(wasm.a, edited);
    const sidecar = JSON.parse(await readFile(json(wasm.a), 'utf8'));
    await writeFile(json(edited), JSON.stringify({ ...sidecar, classes: ['wave', 'clap', 'sit', 'jump'], windowFrames: 99 }));
    await expect(Recognizer.load(edited)).rejects.toThrow(`${json(edited)} disagrees with ${edited}'s custom section "cocodiff" (fields "classes", "windowFrames")`);
    const warnings: string[] = [];
    const r = await Recognizer.load(edited, { trustSidecar: true, onWarning: (m) => warnings.push(m) });
    expect(r.labels).toEqual(['wave', 'clap', 'sit', 'jump']);
    expect(warnings).toHaveLength(1);
    // A hand-written .json that only leaves fields out says nothing different: it loads.
    const { format, classes, layout, input, modality, preprocessing } = sidecar;
    await writeFile(json(edited), JSON.stringify({ format, classes, layout, input, modality, preprocessing }));
    expect((await Recognizer.load(edited)).labels).toEqual(sidecar.classes);
  });
});
