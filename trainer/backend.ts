/**
 * The trainer's tfjs backends, one registry entry each: its name (also the `--backend` choice), how
 * it loads, its priority for `auto`, and the kernels model code runs on it (trainer/kernels/).
 * Adding a backend is one entry here plus, where the shared formulations are slow or missing on
 * it, a kernel module of its own.
 *
 * The native TensorFlow bindings (CUDA or CPU) are optional dependencies that need internet at
 * install time, so they are loaded by a dynamic import of a variable specifier (the
 * bundler/type-checker never insists on them); the tfjs `wasm` backend (XNNPACK, SIMD) ships with
 * the package and is the fallback that works everywhere.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { OptionError } from 'cocodiff-runtime/shared/errors';
import type { Kernels } from './kernels/kernels.ts';
import { wasmKernels } from './kernels/wasm.ts';
import { webgpuKernels } from './kernels/webgpu.ts';
import { describeAdapter, loadWebgpu, probeWebgpu, webgpuMissing } from './webgpu.ts';

export interface Backend {
  /** The tfjs backend's own name. */
  readonly name: string;
  /** One line for `--help` and messages. */
  readonly summary: string;
  /** `auto` takes the loadable backend of highest priority; without one, a backend is used only when named. */
  readonly priority?: number;
  /**
   * Initialises the backend and makes it tfjs's current one; false when its optional package is not
   * installed, or (`auto`) when it is not worth choosing unasked here.
   */
  load(auto: boolean): Promise<boolean>;
  /** When a named load() is false: what is missing and how to get it. */
  missing?(): Promise<string>;
  /** What it runs on, for `train`'s log (the GPU adapter). */
  detail?(): Promise<string | undefined>;
  readonly kernels: Kernels;
  /** `cocodiff bench` times the tfjs model on it beside the .wasm; `slow` peers get few rounds and `--skip-cpu` leaves them out. */
  readonly bench?: 'peer' | 'slow';
}

/** Loads an optional package; undefined when it is not installed or its native library fails. */
async function tryImport(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch {
    return undefined;
  }
}

async function loadNative(): Promise<boolean> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if ((await tryImport(pkg)) && (await tf.setBackend('tensorflow'))) return true;
  }
  return false;
}

/** Threads asked of the wasm backend's pool (XNNPACK), if any; the pool is fixed when the backend starts (1 unless asked). */
let wasmThreads: number | undefined;

async function loadWasm(): Promise<boolean> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (tf.engine().registry['wasm']) {
    const running = wasm.getThreadsCount();
    if (wasmThreads !== undefined && running !== wasmThreads) throw new OptionError('threads', `the wasm backend already runs with ${running} thread${running === 1 ? '' : 's'} in this process (its pool is fixed when it starts); asked for ${wasmThreads}`);
    return tf.getBackend() === 'wasm' || (await tf.setBackend('wasm'));
  }
  // In Node the backend must be told where its .wasm binaries are: the package's own dist folder.
  const require = createRequire(import.meta.url);
  wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
  const ready = wasmThreads !== undefined && wasmThreads > 1 ? await (await import('./wasm-threads.ts')).setWasmBackendThreaded(wasmThreads) : await tf.setBackend('wasm');
  if (!ready) throw new Error('the tfjs wasm backend failed to initialise');
  return true;
}

async function loadCpu(): Promise<boolean> {
  if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend failed to initialise');
  return true;
}

// `tensorflow` and `cpu` run the wasm formulations too: they are plain tfjs ops that work on every
// backend, the cpu backend thereby checks (in tests) the very math wasm trains with, and the native
// backend has not been measured with formulations of its own.
const REGISTRY = [
  {
    name: 'tensorflow',
    summary: 'native TensorFlow, CUDA with @tensorflow/tfjs-node-gpu, else CPU with @tensorflow/tfjs-node',
    priority: 2,
    load: loadNative,
    missing: async () =>
      'neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (or its native library failed to load); ' +
      'install one with `npm install @tensorflow/tfjs-node@4.22.0` (needs internet), or choose wasm',
    kernels: wasmKernels,
  },
  {
    name: 'webgpu',
    summary: 'any GPU through WebGPU (Dawn: Vulkan, Metal, D3D12) with the optional webgpu and @tensorflow/tfjs-backend-webgpu; auto takes it on a hardware GPU only',
    priority: 3,
    load: loadWebgpu,
    missing: webgpuMissing,
    detail: async () => {
      const found = await probeWebgpu();
      return typeof found === 'string' ? undefined : `adapter: ${describeAdapter(found)}`;
    },
    kernels: webgpuKernels,
  },
  {
    name: 'wasm',
    summary: 'WebAssembly SIMD (XNNPACK), ships with cocodiff; --threads N runs it on N threads',
    priority: 1,
    load: loadWasm,
    detail: async () => {
      const threads = (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount();
      return `${threads} thread${threads === 1 ? '' : 's'}`;
    },
    kernels: wasmKernels,
    bench: 'peer',
  },
  { name: 'cpu', summary: 'plain JavaScript, slow: for checks only', load: loadCpu, kernels: wasmKernels, bench: 'slow' },
] as const satisfies readonly Backend[];

/** A registered backend, or `auto`. */
export type BackendName = 'auto' | (typeof REGISTRY)[number]['name'];

export const BACKENDS: ReadonlyArray<Backend & { readonly name: Exclude<BackendName, 'auto'> }> = REGISTRY;

/** What `--backend` (and the library's `backend` option) accepts. */
export const BACKEND_CHOICES: readonly BackendName[] = ['auto', ...REGISTRY.map((b) => b.name)];

/** The backends `auto` tries, highest priority first. */
function autoOrder(): Backend[] {
  return BACKENDS.filter((b) => b.priority !== undefined).sort((a, b) => b.priority! - a.priority!);
}

/** `--help` text of a backend option: each choice and what it is. */
export function backendHelp(): string {
  const auto = autoOrder().map((b) => b.name);
  return `tfjs backend: auto = ${auto.join(', else ')}; ${BACKENDS.map((b) => `${b.name} = ${b.summary}`).join('; ')}`;
}

/** Asks the wasm backend for `threads` threads when it starts (undefined: 1, or as it runs already); loading it checks. */
export function setWasmThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new OptionError('threads', `expected a whole number ≥ 1, found ${threads}`);
  wasmThreads = threads;
}

export interface BackendSettings {
  /**
   * Threads of the wasm backend (its XNNPACK pool; bit-identical results). Fixed for the process when
   * wasm first starts: 1 unless asked, and asking another count later is an error. Other backends
   * manage their own threads, so naming one of them with threads > 1 is an error, and `auto` uses
   * it only if it chooses wasm.
   */
  threads?: number;
}

/**
 * Selects and initialises a backend and returns its name. `auto`: the loadable backend of highest
 * priority (WebGPU on a hardware GPU, else native TensorFlow when installed, else wasm).
 */
export async function selectBackend(name: BackendName | string = 'auto', settings: BackendSettings = {}): Promise<string> {
  const { threads } = settings;
  if (threads !== undefined && threads > 1 && name !== 'auto' && name !== 'wasm') throw new OptionError('threads', `threads are the wasm backend's; ${name} manages its own`);
  if (threads !== undefined) setWasmThreads(threads);
  let chosen: Backend | undefined;
  if (name === 'auto') {
    for (const b of autoOrder()) {
      if (await b.load(true)) {
        chosen = b;
        break;
      }
    }
    // wasm ships with the package and throws rather than answering false.
    if (!chosen) throw new Error('no tfjs backend could be initialised');
  } else {
    chosen = BACKENDS.find((b) => b.name === name);
    if (!chosen) throw new OptionError('backend', `expected one of ${BACKEND_CHOICES.join(', ')}, found "${name}"`);
    if (!(await chosen.load(false))) throw new OptionError('backend', `${name}: ${(await chosen.missing?.()) ?? 'not available here'}`);
  }
  await tf.ready();
  return chosen.name;
}

/** What the running backend runs on, when it says (the GPU adapter of webgpu). */
export async function backendDetail(): Promise<string | undefined> {
  return BACKENDS.find((b) => b.name === tf.getBackend())?.detail?.();
}

/** The kernels of the tfjs backend running now (model code calls them through trainer/model/ops.ts). */
export function activeKernels(): Kernels {
  const name = tf.getBackend();
  const backend = BACKENDS.find((b) => b.name === name);
  if (!backend) throw new Error(`the tfjs backend "${name}" has no trainer kernels; select one of ${BACKENDS.map((b) => b.name).join(', ')} (trainer/backend.ts)`);
  return backend.kernels;
}
