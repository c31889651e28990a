/**
 * Build: the generated network.ts + config.ts next to the runtime's AssemblyScript, compiled
 * in-process by asc (SIMD, stub runtime, -O3, no asserts), optimised by binaryen, and the weights
 * added as active data segments at their literal addresses (one, unless an int8 module leaves out
 * the f32 weights it writes from codes at start-up).
 *
 * The weights bypass asc on purpose: a 6 MB array literal would be parsed, type-checked and
 * optimised as code; instead asc is told (--memoryBase) to start its own static data after them,
 * and the finished binary gets a data segment there.
 */
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import asc from 'assemblyscript/asc';
import binaryen from 'binaryen';
import { writeFileAtomic } from '../common/atomic.ts';

/** The runtime package (cocodiff-runtime): its AssemblyScript sources and their asc options go into every build. */
const RUNTIME_PACKAGE = dirname(createRequire(import.meta.url).resolve('cocodiff-runtime/package.json'));
export const RUNTIME_DIR = join(RUNTIME_PACKAGE, 'assembly');

export interface BuildInput {
  /** AssemblyScript sources by file name, added to (and overriding) the runtime's files. */
  sources: Record<string, string>;
  /** The file whose exports the module exports. */
  entry: string;
  memoryBase: number;
  /** The weights: bytes at literal addresses, one active data segment each. */
  segments: Array<{ offset: number; bytes: Uint8Array }>;
  relaxedSimd?: boolean;
  /**
   * A threaded module (`compile --threads`): atomics, and a shared memory imported from the host
   * (env.memory), assumed zero-filled as a fresh WebAssembly.Memory is, so that no segment of zeros
   * is written again when each worker instantiates the module on the same memory.
   */
  threads?: boolean;
  /** Keep every source the build saw (runtime and generated) in this directory. */
  emitAsDir?: string;
}

export async function runtimeSources(): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const name of await readdir(RUNTIME_DIR)) {
    if (name.endsWith('.ts')) files[name] = await readFile(join(RUNTIME_DIR, name), 'utf8');
  }
  return files;
}

/**
 * The asc options of every build, from the runtime package's asconfig.json: the one place they are
 * written, so that `npx asc <emit-as dir>/exports.ts --config runtime-as/asconfig.json` builds
 * what `compile` builds.
 */
async function ascFlags(): Promise<string[]> {
  const { options } = JSON.parse(await readFile(join(RUNTIME_PACKAGE, 'asconfig.json'), 'utf8')) as {
    options: { enable: string[]; runtime: string; optimizeLevel: number; shrinkLevel: number; noAssert: boolean };
  };
  return [
    ...options.enable.flatMap((feature) => ['--enable', feature]),
    '--runtime', options.runtime,
    '--optimizeLevel', String(options.optimizeLevel),
    '--shrinkLevel', String(options.shrinkLevel),
    ...(options.noAssert ? ['--noAssert'] : []),
  ];
}

/**
 * Largest function binaryen inlines into its only caller. Small helpers (tanh4,
 * personIsEmpty, addContribution) still inline; kernels stay functions of their own (see buildWasm).
 */
const ONE_CALLER_INLINE_MAX_SIZE = 20;

/** wasm32's most pages (4 GiB): the maximum a threaded module declares; its host gives it exactly what it needs. */
const MAX_PAGES = 65536;

export async function buildWasm(input: BuildInput): Promise<Uint8Array> {
  const files = { ...(await runtimeSources()), ...input.sources };
  if (!(input.entry in files)) throw new Error(`build: entry ${input.entry} is not among the sources (${Object.keys(files).join(', ')})`);
  if (input.emitAsDir) {
    for (const [name, text] of Object.entries(files)) await writeFileAtomic(join(input.emitAsDir, name), text);
  }
  let binary: Uint8Array | undefined;
  let diagnostics = '';
  const sink = { write: (s: string | Uint8Array) => void (diagnostics += typeof s === 'string' ? s : Buffer.from(s).toString()) };
  const flags = [
    ...(await ascFlags()), ...(input.relaxedSimd ? ['--enable', 'relaxed-simd'] : []),
    ...(input.threads ? ['--enable', 'threads', '--importMemory', '--sharedMemory', '--zeroFilledMemory', '--maximumMemory', String(MAX_PAGES)] : []),
  ];
  // Kernels stay functions of their own. By default binaryen inlines any function with one caller,
  // however big, and network_forward then holds most of the network in one body; the profiling build
  // measured 105 ms that way against 84 ms with this limit (same module otherwise; the shipped build
  // was equal either way). It is binaryen's global setting, read by asc's optimiser and by ours.
  binaryen.setOneCallerInlineMaxSize(ONE_CALLER_INLINE_MAX_SIZE);
  const { error } = await asc.main(
    [input.entry, '--outFile', 'module.wasm', ...flags, '--memoryBase', String(input.memoryBase)],
    {
      readFile: (name: string) => files[name.replace(/^\.\//, '')] ?? null,
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
      },
      listFiles: () => [],
      stdout: sink,
      stderr: sink,
    },
  );
  if (error || !binary) throw new Error(`asc failed: ${error?.message ?? 'no output'}\n${diagnostics.slice(0, 4000)}`);

  const module = binaryen.readBinary(binary);
  try {
    // All but compact imports: binaryen would write several imports from one module (a threaded
    // module's env.memory, env.thread_wait, ...) in that proposal's encoding, which V8 refuses.
    // (binaryen's typings lack the flag; its JS API has it.)
    const compactImports = (binaryen.Features as unknown as { CompactImports: number }).CompactImports;
    module.setFeatures(binaryen.Features.All & ~compactImports);
    binaryen.setOptimizeLevel(3);
    binaryen.setShrinkLevel(0);
    module.optimize();
    if (!module.validate()) throw new Error('binaryen: the optimised module does not validate');
    binary = module.emitBinary();
  } finally {
    module.dispose();
  }
  for (const s of input.segments) binary = addDataSegment(binary, s.offset, s.bytes);
  return binary;
}

// ---- the data segment, added to the binary directly -----------------------------------------

const SECTION_IMPORT = 2;
const SECTION_CODE = 10;
const SECTION_DATA = 11;
const SECTION_DATA_COUNT = 12;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return out;
}

function sleb32(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}

function readUleb(b: Uint8Array, at: number): [number, number] {
  let n = 0;
  let shift = 0;
  for (;;) {
    const byte = b[at++];
    n += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [n, at];
  }
}

/** Bytes of a module's code section (the functions' bodies) and data section (the weights and static data). */
export function sectionSizes(wasm: Uint8Array): { code: number; data: number } {
  const sizes = { code: 0, data: 0 };
  for (let at = 8; at < wasm.length;) {
    const id = wasm[at];
    const [size, start] = readUleb(wasm, at + 1);
    if (id === SECTION_CODE) sizes.code += size;
    if (id === SECTION_DATA) sizes.data += size;
    at = start + size;
  }
  return sizes;
}

/** The initial pages of the memory a module imports (a threaded module's env.memory); undefined if it imports none. */
export function importedMemoryPages(wasm: Uint8Array): number | undefined {
  for (let at = 8; at < wasm.length;) {
    const id = wasm[at];
    const [size, start] = readUleb(wasm, at + 1);
    if (id === SECTION_IMPORT) {
      let [count, p] = readUleb(wasm, start);
      const skipName = (q: number): number => { const [n, s] = readUleb(wasm, q); return s + n; };
      const limits = (q: number): [number, number] => {
        const flags = wasm[q];
        const [min, next] = readUleb(wasm, q + 1);
        return [min, flags & 1 ? readUleb(wasm, next)[1] : next];
      };
      for (; count > 0; count--) {
        p = skipName(skipName(p));
        const kind = wasm[p++];
        if (kind === 0) p = readUleb(wasm, p)[1];
        else if (kind === 1) p = limits(p + 1)[1];
        else if (kind === 2) return limits(p)[0];
        else p += 2;
      }
    }
    at = start + size;
  }
  return undefined;
}

/** Appends an active segment (memory 0, `i32.const offset`) to the module's data section. */
export function addDataSegment(wasm: Uint8Array, offset: number, bytes: Uint8Array): Uint8Array {
  const sections: Array<{ id: number; body: Uint8Array }> = [];
  let at = 8;
  while (at < wasm.length) {
    const id = wasm[at];
    const [size, start] = readUleb(wasm, at + 1);
    sections.push({ id, body: wasm.subarray(start, start + size) });
    at = start + size;
  }
  const segment = Uint8Array.from([0x00, 0x41, ...sleb32(offset), 0x0b, ...uleb(bytes.length)]);
  const data = sections.find((s) => s.id === SECTION_DATA);
  let count = 0;
  if (data) {
    const [n, rest] = readUleb(data.body, 0);
    count = n;
    data.body = Buffer.concat([Uint8Array.from(uleb(n + 1)), data.body.subarray(rest), segment, bytes]);
  } else {
    const code = sections.findIndex((s) => s.id === SECTION_CODE);
    sections.splice(code + 1, 0, { id: SECTION_DATA, body: Buffer.concat([Uint8Array.from(uleb(1)), segment, bytes]) });
  }
  const dataCount = sections.find((s) => s.id === SECTION_DATA_COUNT);
  if (dataCount) dataCount.body = Uint8Array.from(uleb(count + 1));
  const parts: Uint8Array[] = [wasm.subarray(0, 8)];
  for (const s of sections) parts.push(Uint8Array.from([s.id, ...uleb(s.body.length)]), s.body);
  return Buffer.concat(parts);
}
