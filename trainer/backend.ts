/**
 * Picks the tfjs backend the trainer runs on. The native TensorFlow bindings (CUDA or CPU) are
 * optional dependencies that need internet at install time, so they are loaded by a dynamic import
 * of a variable specifier (the bundler/type-checker never insists on them); the tfjs `wasm` backend
 * (XNNPACK, SIMD) ships with the package and is the fallback that works everywhere.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { OptionError, UserError } from '../common/errors.ts';

export type BackendName = 'auto' | 'tensorflow' | 'wasm' | 'cpu';
export const BACKENDS: readonly BackendName[] = ['auto', 'tensorflow', 'wasm', 'cpu'];

/** Loads an optional package; undefined when it is not installed or its native library fails. */
async function tryImport(specifier: string): Promise<unknown> {
  try {
    return await import(specifier);
  } catch {
    return undefined;
  }
}

async function useNative(): Promise<string | undefined> {
  for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
    if ((await tryImport(pkg)) && (await tf.setBackend('tensorflow'))) return 'tensorflow';
  }
  return undefined;
}

async function useWasm(): Promise<string> {
  if (tf.getBackend() === 'wasm') return 'wasm';
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  // In Node the backend must be told where its .wasm binaries are: the package's own dist folder.
  const require = createRequire(import.meta.url);
  const dist = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/';
  try {
    wasm.setWasmPaths(dist);
  } catch {
    // setWasmPaths throws once the backend is initialised: the paths are already set then.
  }
  if (!(await tf.setBackend('wasm'))) throw new Error('the tfjs wasm backend failed to initialise');
  return 'wasm';
}

/**
 * Selects and initialises a backend and returns its name ('tensorflow', 'wasm' or 'cpu').
 * `auto`: native TensorFlow (GPU, then CPU) when installed, else wasm.
 */
export async function selectBackend(name: BackendName | string = 'auto'): Promise<string> {
  let chosen: string;
  switch (name) {
    case 'auto':
      chosen = (await useNative()) ?? (await useWasm());
      break;
    case 'tensorflow': {
      const native = await useNative();
      if (!native) {
        throw new UserError(
          '--backend tensorflow: neither @tensorflow/tfjs-node-gpu nor @tensorflow/tfjs-node is installed (or its native library failed to load); ' +
            'install one with `npm install @tensorflow/tfjs-node@4.22.0` (needs internet), or use --backend wasm',
        );
      }
      chosen = native;
      break;
    }
    case 'wasm':
      chosen = await useWasm();
      break;
    case 'cpu':
      if (!(await tf.setBackend('cpu'))) throw new Error('the tfjs cpu backend failed to initialise');
      chosen = 'cpu';
      break;
    default:
      throw new OptionError('backend', `expected one of ${BACKENDS.join(', ')}, found "${name}"`);
  }
  await tf.ready();
  return chosen;
}
