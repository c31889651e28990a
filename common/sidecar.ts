/**
 * The recognizer's metadata (compiler → host), next to the .wasm as `recognizer.json` (same base
 * name) or inside it as a custom section named `cocodiff`. The compiler writes it
 * (compiler/emit.ts); the host reads and checks it (runtime-as/host/sidecar.ts). The .wasm's own
 * exports stay the source of truth for shapes: the sidecar adds names (classes, layout).
 */
import type { InputSpec, Modality, PreprocessSpec } from './input-spec.ts';
import type { LayoutName } from './layouts.ts';

export const SIDECAR_FORMAT = 'cocodiff-recognizer';
export const SIDECAR_SECTION = 'cocodiff';

/** What a host needs; a sidecar written by hand may hold only this. */
export interface RecognizerSidecar {
  format: typeof SIDECAR_FORMAT;
  abiVersion?: number;
  /**
   * sha256 (hex) of the .wasm this sidecar describes. When present, loaders refuse a .wasm whose
   * bytes do not match (another model's sidecar, a damaged module) unless told to trust it.
   */
  wasmSha256?: string;
  classes: string[];
  layout: LayoutName;
  input: InputSpec;
  modality: Modality;
  preprocessing: PreprocessSpec;
  /** Ring length of the compiled module (frames pushed before the oldest is dropped). */
  windowFrames?: number;
  /** Frames `classify_sequence` takes at most. */
  sequenceCapacity?: number;
  /** Free-form: the artifact it was compiled from, its checksum, compiler options. */
  source?: Record<string, unknown>;
}

/** What the compiler always writes: the above plus how the module was built and where it came from. */
export interface CompiledSidecar extends RecognizerSidecar {
  abiVersion: number;
  windowFrames: number;
  sequenceCapacity: number;
  weights: 'f32' | 'f16';
  relaxedSimd: boolean;
  /** sha256 of the module's code and data: the .wasm without its `cocodiff` section. */
  wasmSha256: string;
  source: { artifact: string; weightsSha256: string; provenance: Record<string, unknown> };
}

/** Where the sidecar JSON sits beside a recognizer: the same name with `.json` for `.wasm`. The compiler writes it there and the Node host looks for it there. */
export function sidecarPathFor(wasmPath: string): string {
  return wasmPath.replace(/\.wasm$/i, '') + '.json';
}
