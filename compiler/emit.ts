/**
 * The sidecar: what a host needs to use the module without the artifact (class names, layout,
 * input spec, preprocessing), and where it came from. It travels inside the .wasm as a custom
 * section named `cocodiff` (a single file describes itself), and as `recognizer.json` next to it.
 */
import { createHash } from 'node:crypto';
import { ABI_VERSION } from '../common/abi.ts';
import type { Artifact } from '../common/artifact.ts';
import { SIDECAR_FORMAT, SIDECAR_SECTION, type CompiledSidecar } from '../common/sidecar.ts';

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

/** The module with the sidecar appended as its `cocodiff` custom section (UTF-8 JSON). */
export function embedSidecar(wasm: Uint8Array, sidecar: CompiledSidecar): Uint8Array {
  const name = new TextEncoder().encode(SIDECAR_SECTION);
  const payload = new TextEncoder().encode(JSON.stringify(sidecar));
  const body = [...leb128(name.length), ...name, ...payload];
  const section = Uint8Array.from([0, ...leb128(body.length), ...body]);
  const out = new Uint8Array(wasm.length + section.length);
  out.set(wasm);
  out.set(section, wasm.length);
  return out;
}

function leb128(n: number): number[] {
  const bytes: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    bytes.push(b);
  } while (n !== 0);
  return bytes;
}
