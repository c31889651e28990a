/** `--backend` and `--threads`, the trainer's tfjs backend: its choices and help come from the registry (trainer/backend.ts). */
import { Option } from 'commander';
import { BACKEND_CHOICES, backendHelp, type BackendName } from '../trainer/backend.ts';
import { positiveInt } from './options.ts';

export interface BackendFlags {
  backend: BackendName;
  threads?: number;
}

/** The most `--threads` takes: a guard against a typo starting thousands of workers. */
const MAX_THREADS = 256;

export function backendOption(): Option {
  return new Option('--backend <name>', backendHelp()).choices(BACKEND_CHOICES).default('auto');
}

export function threadsOption(): Option {
  return new Option('--threads <n>', 'threads of the wasm backend (XNNPACK\'s pool; the same results as one thread; default 1): about one per free core').argParser(positiveInt('--threads', MAX_THREADS));
}
