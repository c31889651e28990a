/**
 * TEST FIXTURE ONLY: builds a recognizer .wasm from runtime-as/assembly with a tiny stand-in
 * network (feature = per-channel mean of the input, logits = W · feature + b), so the runtime's preprocessing, ring
 * buffer and ABI can be tested without the compiler. Real recognizers come from compileArtifact.
 */
import asc from 'assemblyscript/asc';
import { createHash } from 'node:crypto';
import { copyFile, mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ABI_VERSION, MODALITY_CODES, PROTOCOL_CODES } from 'cocodiff-runtime/shared/abi';
import { ABI_ENTRY, generateAbi } from '../../compiler/codegen/abi.ts';
import type { Modality } from '../../common/artifact.ts';
import type { PreprocessProtocol } from 'cocodiff-runtime/shared/input-spec';
import { LAYOUTS, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { recognizerSha256 } from 'cocodiff-runtime/shared/wasm-identity';

const ASSEMBLY = join(dirname(fileURLToPath(import.meta.url)), '../../runtime-as/assembly');

export interface FixtureConfig {
  layout: LayoutName;
  classes: number;
  T: number;
  M: number;
  windowFrames: number;
  sequenceCapacity: number;
  modality: Modality;
  centre: boolean;
  testCropRatio: number;
  /** Default `ntu`. */
  protocol?: PreprocessProtocol;
}

/** The stand-in network's weights: deterministic, distinct per class and channel. */
export function fixtureWeights(classes: number, C: number): { W: Float32Array; b: Float32Array } {
  const W = new Float32Array(classes * C);
  const b = new Float32Array(classes);
  for (let k = 0; k < classes; k++) {
    b[k] = Math.fround(0.01 * k);
    for (let c = 0; c < C; c++) W[k * C + c] = Math.fround(Math.sin(1 + 3 * k + 7 * c) * 4);
  }
  return { W, b };
}

const list = (a: ArrayLike<number>): string => Array.from(a, (x) => (Number.isInteger(x) ? `${x}.0` : String(x))).join(', ');

export async function buildFixtureWasm(dir: string, cfg: FixtureConfig): Promise<{ wasmPath: string; sidecarPath: string }> {
  const layout = LAYOUTS[cfg.layout];
  const C = layout.coords;
  const V = layout.joints.length;
  const { W, b } = fixtureWeights(cfg.classes, C);
  const build = join(dir, 'build');
  await mkdir(build, { recursive: true });
  for (const f of await readdir(ASSEMBLY)) if (f.endsWith('.ts')) await copyFile(join(ASSEMBLY, f), join(build, f));
  await writeFile(join(build, 'config.ts'), [
    `export const NUM_CLASSES: i32 = ${cfg.classes};`,
    `export const IN_C: i32 = ${C};`,
    `export const MODEL_T: i32 = ${cfg.T};`,
    `export const IN_V: i32 = ${V};`,
    `export const IN_M: i32 = ${cfg.M};`,
    `export const WINDOW_FRAMES: i32 = ${cfg.windowFrames};`,
    `export const SEQUENCE_CAPACITY: i32 = ${cfg.sequenceCapacity};`,
    `export const MODALITY: i32 = ${MODALITY_CODES[cfg.modality]};`,
    `export const CENTRE_JOINT: i32 = ${layout.centre};`,
    `export const CENTRE_COORDS: i32 = ${cfg.centre ? layout.dims : 0};`,
    `export const TEST_CROP_RATIO: f64 = ${cfg.testCropRatio};`,
    `export const PROTOCOL: i32 = ${PROTOCOL_CODES[cfg.protocol ?? 'ntu']};`,
    `export const POSITION_COORDS: i32 = ${layout.dims};`,
    `export const PARENTS: StaticArray<i32> = [${layout.parents.join(', ')}];`,
    '',
  ].join('\n'));
  const per = cfg.T * V * cfg.M;
  // The stand-in's pooled feature is the per-channel mean, kept where the ABI's feature_ptr points.
  await writeFile(join(build, 'network.ts'), [
    `const W: StaticArray<f32> = [${list(W)}];`,
    `const B: StaticArray<f32> = [${list(b)}];`,
    `export const NUM_FEATURES: i32 = ${C};`,
    `export const FEATURE: usize = memory.data(${C * 4}, 16);`,
    `export function network_forward(input: usize, logits: usize): void {`,
    `  for (let c = 0; c < ${C}; c++) {`,
    `    let s: f32 = 0;`,
    `    for (let i = 0; i < ${per}; i++) s += load<f32>(input + (<usize>(c * ${per} + i) << 2));`,
    `    store<f32>(FEATURE + (<usize>c << 2), s / ${per}.0);`,
    `  }`,
    `  for (let k = 0; k < ${cfg.classes}; k++) {`,
    `    let z: f32 = unchecked(B[k]);`,
    `    for (let c = 0; c < ${C}; c++) z += unchecked(W[k * ${C} + c]) * load<f32>(FEATURE + (<usize>c << 2));`,
    `    store<f32>(logits + (<usize>k << 2), z);`,
    `  }`,
    `}`,
    '',
  ].join('\n'));
  for (const [name, source] of Object.entries(generateAbi())) await writeFile(join(build, name), source);
  const wasmPath = join(dir, 'recognizer.wasm');
  const args = ['--outFile', wasmPath, '--enable', 'simd', '--runtime', 'stub', '-O3', '--noAssert'];
  const cached = await fromCache(build, args, wasmPath);
  if (!cached.hit) {
    const out: string[] = [];
    const sink = { write: (s: string | Uint8Array) => { out.push(String(s)); return true; } };
    const { error } = await asc.main([join(build, ABI_ENTRY), ...args], { stdout: sink as never, stderr: sink as never });
    if (error) throw new Error(`asc failed: ${error.message}\n${out.join('')}`);
    await cached.store();
  }
  const sidecarPath = join(dir, 'recognizer.json');
  await writeFile(sidecarPath, JSON.stringify({
    format: 'cocodiff-recognizer',
    abiVersion: ABI_VERSION,
    classes: Array.from({ length: cfg.classes }, (_, k) => `action ${k}`),
    layout: cfg.layout,
    input: { C, T: cfg.T, V, M: cfg.M },
    modality: cfg.modality,
    preprocessing: { windowFrames: cfg.T, testCropRatio: cfg.testCropRatio, centre: cfg.centre, protocol: cfg.protocol ?? 'ntu' },
    windowFrames: cfg.windowFrames,
    // As the compiler writes it: loaders check that the sidecar belongs to this .wasm.
    wasmSha256: await recognizerSha256(await readFile(wasmPath)),
  }));
  return { wasmPath, sidecarPath };
}

/**
 * `npm run mutate` sets COCODIFF_FIXTURE_WASM_CACHE to a folder of its own for one run: it re-runs
 * the same test files once per mutant, and their beforeAll builds would otherwise repeat asc for
 * every mutant of TypeScript code that cannot change the module. A build is reused only for the same
 * options and sources byte for byte (a planted AssemblyScript mutant changes a source, so it is
 * built). Unset (npm test), every build runs.
 */
async function fromCache(build: string, args: string[], wasmPath: string): Promise<{ hit: boolean; store: () => Promise<void> }> {
  const cache = process.env.COCODIFF_FIXTURE_WASM_CACHE;
  if (!cache) return { hit: false, store: async () => {} };
  const hash = createHash('sha256').update(JSON.stringify(args.slice(2)));
  for (const f of (await readdir(build)).sort()) hash.update(f).update('\0').update(await readFile(join(build, f))).update('\0');
  const entry = join(cache, `${hash.digest('hex')}.wasm`);
  try {
    await copyFile(entry, wasmPath);
    return { hit: true, store: async () => {} };
  } catch {
    return {
      hit: false,
      store: async () => {
        await mkdir(cache, { recursive: true });
        const tmp = `${entry}.${process.pid}.tmp`;
        await copyFile(wasmPath, tmp);
        await rename(tmp, entry);
      },
    };
  }
}
