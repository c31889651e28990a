/**
 * What a sidecar's `wasmSha256` means, for the compiler that writes it and every loader that checks
 * it: the sha256 of the recognizer's code and data, that is of the .wasm with its `cocodiff` custom
 * sections removed.
 *
 * Why that and not the hash of the file: the sidecar travels inside the module as the `cocodiff`
 * section, so a hash of the whole file cannot be written into it. Hashing the file minus the
 * section is a byte-level rule (no JSON canonicalisation to agree on), gives the embedded sidecar and
 * `recognizer.json` the same value, and names exactly what the class names must belong to: the
 * computation. Any other byte (code, data, another custom section) changes it.
 *
 * Pure TypeScript over Web Crypto, so browsers, workers, Deno, Bun and Node compute it alike.
 */
import { UserError } from './errors.ts';
import { SIDECAR_SECTION } from './sidecar.ts';

const MAGIC = [0x00, 0x61, 0x73, 0x6d];
const HEADER_BYTES = 8;
const CUSTOM_SECTION_ID = 0;

/** The module's bytes with every custom section named `cocodiff` left out (a copy; the input is untouched). */
export function withoutSidecarSection(wasm: Uint8Array, where = 'the .wasm'): Uint8Array {
  if (wasm.length < HEADER_BYTES || MAGIC.some((b, i) => wasm[i] !== b)) throw new UserError(`${where}: not a WebAssembly module (no \\0asm header)`);
  const kept: Uint8Array[] = [wasm.subarray(0, HEADER_BYTES)];
  let at = HEADER_BYTES;
  while (at < wasm.length) {
    const start = at;
    const id = wasm[at++];
    const size = readU32(wasm, at, where);
    at = size.next;
    const end = at + size.value;
    if (end > wasm.length) throw new UserError(`${where}: section at byte ${start} runs past the end of the file (truncated?)`);
    if (!(id === CUSTOM_SECTION_ID && sectionName(wasm, at, end, where) === SIDECAR_SECTION)) kept.push(wasm.subarray(start, end));
    at = end;
  }
  const out = new Uint8Array(kept.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of kept) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/**
 * The recognizer's `wasmSha256` (hex), or null where this context has no Web Crypto (a page served
 * over plain http): the caller decides whether a check it cannot make is fatal.
 */
export async function recognizerSha256(wasm: Uint8Array | ArrayBuffer, where?: string): Promise<string | null> {
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return null;
  const bytes = withoutSidecarSection(wasm instanceof Uint8Array ? wasm : new Uint8Array(wasm), where);
  const digest = new Uint8Array(await subtle.digest('SHA-256', bytes as BufferSource));
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** An unsigned LEB128 of at most 5 bytes (the format's u32). */
function readU32(bytes: Uint8Array, at: number, where: string): { value: number; next: number } {
  let value = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (at >= bytes.length) break;
    const b = bytes[at++];
    value += (b & 0x7f) * 2 ** shift;
    if ((b & 0x80) === 0) return { value, next: at };
  }
  throw new UserError(`${where}: malformed section size at byte ${at} (truncated?)`);
}

function sectionName(bytes: Uint8Array, at: number, end: number, where: string): string {
  const length = readU32(bytes, at, where);
  if (length.next + length.value > end) throw new UserError(`${where}: custom section name runs past its section at byte ${at}`);
  return new TextDecoder().decode(bytes.subarray(length.next, length.next + length.value));
}
