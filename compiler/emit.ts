/**
 * The sidecar: what a host needs to use the module without the artifact (class names, layout,
 * input spec, preprocessing), and where it came from. It travels inside the .wasm as a custom
 * section named `cocodiff` (a single file describes itself), and as `recognizer.json` next to it.
 */
import { ABI_VERSION } from 'cocodiff-runtime/shared/abi';
import type { Artifact } from '../common/artifact.ts';
import { SIDECAR_FORMAT, SIDECAR_SECTION, type CompiledSidecar } from 'cocodiff-runtime/shared/sidecar';
import { recognizerSha256 } from 'cocodiff-runtime/shared/wasm-identity';

/** The sidecar of `code`, the module before its `cocodiff` section is appended (wasm-identity.ts says why that is what the hash covers). */
export async function makeSidecar(
  artifact: Artifact, code: Uint8Array,
  opts: { windowFrames: number; sequenceCapacity: number; weights: 'f32' | 'f16'; relaxedSimd: boolean; int8?: CompiledSidecar['int8']; threads?: CompiledSidecar['threads'] },
): Promise<CompiledSidecar> {
  const m = artifact.model;
  const wasmSha256 = await recognizerSha256(code);
  if (wasmSha256 === null) throw new Error('the compiler needs Web Crypto (globalThis.crypto.subtle), which Node >= 20 provides');
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
    ...(opts.int8 ? { int8: opts.int8 } : {}),
    ...(opts.threads ? { threads: opts.threads } : {}),
    wasmSha256,
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
