/**
 * The tfjs WebGPU backend in Node: Dawn's bindings (the optional `webgpu` package) give Node a
 * `navigator.gpu`, on which `@tensorflow/tfjs-backend-webgpu` (also optional) runs every op as a
 * compute shader, on whatever GPU the machine has (Vulkan, Metal or D3D12; no CUDA install).
 *
 * Two facts shape this module (checked with webgpu 0.6.2 and tfjs 4.22):
 * - the tfjs backend registers itself only if `navigator.gpu` exists when it is first imported, so
 *   Dawn's globals and the navigator are installed before a dynamic import of it;
 * - reading a tensor synchronously (`dataSync`) needs `OffscreenCanvas`, which Node lacks: the
 *   trainer reads tensors with `await data()` on every backend.
 *
 * Dawn also offers a software adapter (Mesa's lavapipe, `isFallbackAdapter`): correct, and slower than
 * the wasm backend, so `auto` takes WebGPU only on a hardware adapter (trainer/backend.ts).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import * as tf from '@tensorflow/tfjs';

/** What Dawn reports about the adapter tfjs runs on. */
export interface AdapterInfo {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A CPU implementation (lavapipe, SwiftShader), not a GPU. */
  software: boolean;
}

const PACKAGES = 'webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0';

/** Why WebGPU cannot run here, each with its fix. */
export const WEBGPU_UNAVAILABLE = {
  packages: `the optional packages are not installed (or Dawn's native library failed to load); install them with \`npm install ${PACKAGES}\` (needs internet), or choose wasm`,
  adapter:
    'Dawn found no WebGPU adapter: install a Vulkan driver for the GPU (on Debian, mesa-vulkan-drivers for AMD/Intel, ' +
    "the vendor's driver for NVIDIA; Mesa ≥ 25 from bookworm-backports adds the software adapter lavapipe), " +
    'set XDG_RUNTIME_DIR, or choose wasm',
} as const;

interface DawnModule {
  create(flags: string[]): { requestAdapter(options?: object): Promise<DawnAdapter | null> };
  globals: Record<string, unknown>;
}

interface DawnAdapter {
  info: { vendor: string; architecture: string; device: string; description: string; isFallbackAdapter?: boolean };
}

/** One probe per process: Dawn's instance and the tfjs backend's registration are process-wide. */
let probed: Promise<AdapterInfo | keyof typeof WEBGPU_UNAVAILABLE> | undefined;

/** Installs Dawn as `navigator.gpu`, then the tfjs backend; the adapter found, or why none. */
export function probeWebgpu(): Promise<AdapterInfo | keyof typeof WEBGPU_UNAVAILABLE> {
  probed ??= probe();
  return probed;
}

async function probe(): Promise<AdapterInfo | keyof typeof WEBGPU_UNAVAILABLE> {
  // Variable specifiers: the packages are optional, and neither the type-checker nor a bundler should insist on them.
  const dawnPackage = 'webgpu';
  const backendPackage = '@tensorflow/tfjs-backend-webgpu';
  let dawn: DawnModule;
  try {
    dawn = (await import(dawnPackage)) as DawnModule;
  } catch {
    return 'packages';
  }
  let gpu: ReturnType<DawnModule['create']>;
  let adapter: DawnAdapter | null;
  try {
    gpu = dawn.create([]);
    // The descriptor tfjs's backend asks with, so this is the adapter it will run on.
    adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch {
    // A driver that fails to initialise is, to the user, no adapter.
    return 'adapter';
  }
  if (!adapter) return 'adapter';
  Object.assign(globalThis, dawn.globals);
  const nav = (globalThis as { navigator?: object }).navigator;
  // Node ≥ 21 has a navigator of its own (without gpu); Node 20 has none.
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  try {
    await import(backendPackage);
  } catch {
    return 'packages';
  }
  return adapterInfo(adapter.info);
}

function adapterInfo({ vendor, architecture, device, description, isFallbackAdapter }: DawnAdapter['info']): AdapterInfo {
  return { vendor, architecture, device, description, software: isFallbackAdapter === true || architecture === 'software' };
}

/** Run by hardwareAdapter's child: the adapter Dawn offers tfjs, as JSON on stdout (null for none). */
const CHILD_PROBE = `
const dawn = await import(process.argv[1]);
const adapter = await dawn.create([]).requestAdapter({ powerPreference: 'high-performance' });
const i = adapter && adapter.info;
process.stdout.write(JSON.stringify(i ? { vendor: i.vendor, architecture: i.architecture, device: i.device, description: i.description, isFallbackAdapter: i.isFallbackAdapter } : null));
process.exit(0);
`;

/**
 * Whether Dawn has a hardware adapter, asked in a child process whose stderr is dropped. Dawn's
 * native code prints warnings on stderr while it enumerates adapters (lavapipe's reduced limits),
 * and no Node API silences them in-process; so `auto`, which on most machines ends up on another
 * backend, asks here first and loads Dawn into this process only for a GPU it will use.
 */
function hardwareAdapter(): Promise<boolean> {
  hardware ??= askChild();
  return hardware;
}

let hardware: Promise<boolean> | undefined;

function askChild(): Promise<boolean> {
  let dawnEntry: string;
  try {
    dawnEntry = pathToFileURL(createRequire(import.meta.url).resolve('webgpu')).href;
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    execFile(process.execPath, ['--input-type=module', '-e', CHILD_PROBE, dawnEntry], { timeout: 30_000 }, (err, stdout) => {
      if (err) return resolve(false);
      try {
        const info = JSON.parse(stdout) as DawnAdapter['info'] | null;
        resolve(info !== null && !adapterInfo(info).software);
      } catch {
        resolve(false);
      }
    });
  });
}

/** The adapter in one line, as `train` prints it. */
export function describeAdapter(a: AdapterInfo): string {
  const parts = [a.vendor, a.architecture, a.description || a.device].filter((p) => p !== '');
  return `${parts.join(', ')}${a.software ? ' (software adapter: correct, but slower than wasm)' : ''}`;
}

/**
 * Makes WebGPU tfjs's backend. `auto` takes it only on a hardware adapter; named, a software adapter
 * serves too (tests and checks on machines without a GPU).
 */
export async function loadWebgpu(auto: boolean): Promise<boolean> {
  if (auto && !(await hardwareAdapter())) return false;
  const found = await probeWebgpu();
  if (typeof found === 'string' || (auto && found.software)) return false;
  if (tf.getBackend() === 'webgpu') return true;
  if (!(await tf.setBackend('webgpu'))) throw new Error('the tfjs webgpu backend failed to initialise');
  return true;
}

/** Why `--backend webgpu` cannot load here (after a failed load). */
export async function webgpuMissing(): Promise<string> {
  const found = await probeWebgpu();
  return typeof found === 'string' ? WEBGPU_UNAVAILABLE[found] : 'available';
}
