/** `--backend`, the trainer's tfjs backend: its choices and help come from the registry (trainer/backend.ts). */
import { Option } from 'commander';
import { BACKEND_CHOICES, backendHelp, type BackendName } from '../trainer/backend.ts';

export interface BackendFlags {
  backend: BackendName;
}

export function backendOption(): Option {
  return new Option('--backend <name>', backendHelp()).choices(BACKEND_CHOICES).default('auto');
}
