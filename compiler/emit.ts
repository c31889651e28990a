/**
 * The sidecar `recognizer.json` next to `recognizer.wasm`: what a host needs to use the module
 * without the artifact (class names, layout, input spec, preprocessing), and where it came from.
 */
import { createHash } from 'node:crypto';
import { ABI_VERSION } from '../common/abi.ts';
import type { Artifact } from '../common/artifact.ts';
import { SIDECAR_FORMAT, type CompiledSidecar } from '../common/sidecar.ts';

export function makeSidecar(
  artifact: Artifact, wasm: Uint8Array,
  opts: { windowFrames: number; sequenceCapacity: number; weights: 'f32' | 'f16'; relaxedSimd: boolean },
): CompiledSidecar {
  const m = artifact.model;
  return {
    format: SIDECAR_FORMAT,
    abiVersion: ABI_VERSION,
    classes: m.classes,
    layout: m.layout,
    input: m.input,
    modality: m.modality,
    preprocessing: m.preprocessing,
    windowFrames: opts.windowFrames,
    sequenceCapacity: opts.sequenceCapacity,
    weights: opts.weights,
    relaxedSimd: opts.relaxedSimd,
    wasmSha256: createHash('sha256').update(wasm).digest('hex'),
    source: { artifact: artifact.dir, weightsSha256: m.weightsSha256, provenance: m.provenance },
  };
}
