/**
 * The recognizer's metadata (compiler → host), next to the .wasm as `recognizer.json` (same base
 * name) or inside it as a custom section named `cocodiff`. The compiler writes it
 * (compiler/emit.ts); the host reads and checks it (runtime-as/host/sidecar.ts). The .wasm's own
 * exports stay the source of truth for shapes: the sidecar adds names (classes, layout).
 */
import type { InputSpec, Modality, PreprocessSpec } from './input-spec.ts';
import type { LayoutName } from './layouts.ts';

/** The sidecar's `format` field. */
export const SIDECAR_FORMAT = 'cocodiff-recognizer';
/** The name of the custom section that carries the sidecar inside the .wasm. */
export const SIDECAR_SECTION = 'cocodiff';

/** What a host needs; a sidecar written by hand may hold only this. */
export interface RecognizerSidecar {
  /** Always `cocodiff-recognizer`. */
  format: typeof SIDECAR_FORMAT;
  /** The ABI the module was compiled for (the module reports it too). */
  abiVersion?: number;
  /**
   * sha256 (hex) of the .wasm this sidecar describes. When present, loaders refuse a .wasm whose
   * bytes do not match (another model's sidecar, a damaged module) unless told to trust it.
   */
  wasmSha256?: string;
  /** Class names, by class index: distinct and non-empty. */
  classes: string[];
  /** The joint layout the model was trained on. */
  layout: LayoutName;
  /** The network's input shape. */
  input: InputSpec;
  /** What the network's input is made of (joints, bones, or their motion). */
  modality: Modality;
  /** How recordings become the network's input. */
  preprocessing: PreprocessSpec;
  /** Ring length of the compiled module (frames pushed before the oldest is dropped). */
  windowFrames?: number;
  /** Frames `classify_sequence` takes at most. */
  sequenceCapacity?: number;
  /** Free-form: the artifact it was compiled from, its checksum, compiler options. */
  source?: Record<string, unknown>;
  /**
   * Present when the module splits each inference over threads (`compile --threads N`, N ≥ 2):
   * N, and the pages (64 KiB) of the shared memory the host makes for it (runtime-as/shared/abi.ts, THREAD_IMPORTS).
   */
  threads?: {
    /** N, the threads each inference is split over (this thread and N − 1 workers). */
    count: number;
    /** Pages (64 KiB) of the shared memory the host makes for the module: its initial and maximum size. */
    memoryPages: number;
  };
}

/** What the compiler always writes: the above plus how the module was built and where it came from. */
export interface CompiledSidecar extends RecognizerSidecar {
  abiVersion: number;
  windowFrames: number;
  sequenceCapacity: number;
  weights: 'f32' | 'f16';
  relaxedSimd: boolean;
  /**
   * Present when the convolutions run in int8 (`compile --int8`): how their activation ranges were
   * calibrated, on how many recordings, and which ops were quantised (the rest run in f32).
   */
  int8?: { calibration: string; samples: number; ops: number; f32Ops: string };
  /** sha256 of the module's code and data: the .wasm without its `cocodiff` section. */
  wasmSha256: string;
  source: { artifact: string; weightsSha256: string; provenance: Record<string, unknown> };
}

/** Where the sidecar JSON sits beside a recognizer: the same name with `.json` for `.wasm`. The compiler writes it there and the Node host looks for it there. */
export function sidecarPathFor(wasmPath: string): string {
  return wasmPath.replace(/\.wasm$/i, '') + '.json';
}
