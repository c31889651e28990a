/**
 * The recognizer's ABI for the runtime's AssemblyScript, generated from runtime-as/shared/abi.ts (its one
 * source) into every build:
 *
 *   abi.ts      ABI_VERSION, the STATUS_* codes and MAX_COORDINATE, imported by runtime-as/assembly
 *   exports.ts  the build's entry: each function runtime-as/assembly/recognizer.ts defines under
 *               its ABI_EXPORTS key (abiVersion, pushFrame, ...) exported under its ABI name
 *               (abi_version, push_frame, ...)
 */
import { ABI_EXPORTS, ABI_VERSION, MAX_COORDINATE, STATUS } from 'cocodiff-runtime/shared/abi';

/** `nonFinite` → `NON_FINITE`. */
const screaming = (camel: string): string => camel.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

export const ABI_ENTRY = 'exports.ts';

export function generateAbi(): Record<'abi.ts' | 'exports.ts', string> {
  const header = '// Generated from runtime-as/shared/abi.ts by cocodiff compile. Do not edit.';
  const functions = Object.entries(ABI_EXPORTS).filter(([key]) => key !== 'memory');
  return {
    'abi.ts': [
      header,
      `export const ABI_VERSION: i32 = ${ABI_VERSION};`,
      ...Object.entries(STATUS).map(([name, code]) => `export const STATUS_${screaming(name)}: i32 = ${code};`),
      `export const MAX_COORDINATE: f32 = ${MAX_COORDINATE};`,
      '',
    ].join('\n'),
    'exports.ts': [
      header,
      'export {',
      ...functions.map(([key, name]) => `  ${key} as ${name},`),
      "} from './recognizer';",
      '',
    ].join('\n'),
  };
}
