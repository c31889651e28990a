/**
 * Everything `Recognizer.load` does before instantiating: read the .wasm from bytes, a path or a
 * URL, find its sidecars (embedded as the `cocodiff` custom section, `<name>.json` beside it, or
 * given by the caller), and prove they belong to the module before their class names label its
 * scores. Browser-safe: file paths are read by the reader the Node entry (node.ts) installs.
 */
import { THREAD_IMPORTS } from '../shared/abi.ts';
import { UserError } from '../shared/errors.ts';
import { recognizerSha256 } from '../shared/wasm-identity.ts';
import { checkSidecar, parseSidecar, SIDECAR_SECTION, type RecognizerSidecar } from './sidecar.ts';

/** Where {@link Recognizer.load} finds the sidecar, and what it does when the sidecar does not belong to the module. */
export interface SidecarOptions {
  /** The sidecar itself, or where to read it (path or URL); default: `<name>.json` beside the .wasm, then its custom section. */
  sidecar?: RecognizerSidecar | string | URL;
  /**
   * Use a sidecar that does not belong to the .wasm: a `wasmSha256` that does not match the
   * module's code, a `.json` that contradicts the module's embedded sidecar, or a check this context
   * cannot make (no Web Crypto). Off by default: a mismatch means the class names belong to another
   * build or the module is damaged, and the load is refused. With it, the mismatch is a warning.
   */
  trustSidecar?: boolean;
  /** Where warnings go (a trusted mismatch); default `console.warn`. */
  onWarning?: (message: string) => void;
}

/** What {@link Recognizer.load} reads a module from: its bytes, a URL, or a string (a file path in Node, else a URL). */
export type RecognizerSource = Uint8Array | ArrayBuffer | URL | string;

/** How `Recognizer.load` reads files: installed by the Node entry (node.ts); browsers have none. */
export interface RecognizerFiles {
  readRecognizer(path: string): Promise<{ bytes: Uint8Array; sidecar?: RecognizerSidecar }>;
  readSidecar(path: string, required: boolean): Promise<RecognizerSidecar | undefined>;
  pathOf(url: URL): string;
}
let files: RecognizerFiles | null = null;

/** Lets `Recognizer.load` take file paths and file: URLs (the Node entry calls it once). */
export function installRecognizerFiles(reader: RecognizerFiles): void {
  files = reader;
}

/** A sidecar and the name messages give it (its path, URL, or where it was embedded). */
interface Named {
  sidecar: RecognizerSidecar;
  name: string;
}

/** The compiled module, the sidecar whose names it speaks (none: a bare module), and the name messages give the module. */
export async function openRecognizer(source: RecognizerSource, opts: SidecarOptions): Promise<{ module: WebAssembly.Module; sidecar?: RecognizerSidecar; wasmName: string }> {
  const { bytes, wasmName, beside } = await readSource(source);
  const given = await readGivenSidecar(opts.sidecar);
  const module = await compile(bytes, wasmName);
  checkImports(module, wasmName);
  const embedded = embeddedSidecar(module, wasmName);
  const external = given ?? beside;
  const trust = opts.trustSidecar ?? false;
  const warn = opts.onWarning ?? ((message: string) => console.warn(`warning: ${message}`));
  await checkIdentity(bytes, wasmName, embedded, external, trust, warn);
  if (embedded && external) checkAgreement(embedded, external, trust, warn);
  return { module, sidecar: (external ?? embedded)?.sidecar, wasmName };
}

const looksLikeUrl = (s: string): boolean => /^(https?|file|blob|data):/i.test(s);

function asUrl(s: string): URL {
  const base = typeof location !== 'undefined' ? location.href : undefined;
  if (!looksLikeUrl(s) && base === undefined) throw new UserError(`${s}: a file path needs the runtime's Node entry ('cocodiff-runtime/node', which Node picks for 'cocodiff-runtime'); elsewhere pass a URL or the bytes`);
  return new URL(s, base);
}

const besideName = (wasm: string): string => wasm.replace(/\.wasm$/i, '') + '.json';

async function readSource(source: RecognizerSource): Promise<{ bytes: Uint8Array | ArrayBuffer; wasmName: string; beside?: Named }> {
  const fromFile = async (path: string, wasmName: string) => {
    const { bytes, sidecar } = await files!.readRecognizer(path);
    return { bytes, wasmName, beside: sidecar && { sidecar, name: besideName(path) } };
  };
  if (typeof source === 'string' && files && !looksLikeUrl(source)) return fromFile(source, source);
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) return { bytes: source, wasmName: 'the .wasm' };
  if (typeof source !== 'string' && !(source instanceof URL)) throw new UserError(`source: expected the recognizer as a path, a URL, a Uint8Array or an ArrayBuffer, found ${source === null ? 'null' : typeof source}`);
  const url = source instanceof URL ? source : asUrl(source);
  const wasmName = typeof source === 'string' ? source : String(url);
  if (url.protocol === 'file:' && files) return fromFile(files.pathOf(url), wasmName);
  const bytes = await fetchBytes(url);
  const jsonUrl = new URL(besideName(url.pathname), url);
  const sidecar = await fetchSidecar(jsonUrl, false);
  return { bytes, wasmName, beside: sidecar && { sidecar, name: jsonUrl.href } };
}

async function readGivenSidecar(given: SidecarOptions['sidecar']): Promise<Named | undefined> {
  if (given === undefined) return undefined;
  if (typeof given === 'string' && files && !looksLikeUrl(given)) return { sidecar: (await files.readSidecar(given, true))!, name: given };
  if (typeof given === 'string' || given instanceof URL) return { sidecar: (await fetchSidecar(typeof given === 'string' ? asUrl(given) : given, true))!, name: String(given) };
  return { sidecar: checkSidecar(given, 'the given sidecar'), name: 'the given sidecar' };
}

async function compile(bytes: Uint8Array | ArrayBuffer, wasmName: string): Promise<WebAssembly.Module> {
  if (bytes.byteLength === 0) throw new UserError(`${wasmName}: empty file, not a WebAssembly module; make one with \`cocodiff compile\``);
  try {
    return await WebAssembly.compile(bytes as BufferSource);
  } catch (err) {
    const why = (err as Error).message;
    if (/relaxed.simd/i.test(why)) throw new UserError(`${wasmName}: built with --relaxed-simd, which this engine does not enable (${why}); on Node 20 run with --experimental-wasm-relaxed-simd, or compile without --relaxed-simd`);
    throw new UserError(`${wasmName}: not a valid WebAssembly module (${why}); truncated or not a recognizer? Make one with \`cocodiff compile\``);
  }
}

/**
 * A recognizer imports at most `env.abort`, and a threaded one also THREAD_IMPORTS (runtime-as/shared/abi.ts);
 * anything else is another kind of module.
 */
function checkImports(module: WebAssembly.Module, wasmName: string): void {
  const allowed = new Map<string, string>([['abort', 'function'], ...Object.values(THREAD_IMPORTS).map((name): [string, string] => [name, name === THREAD_IMPORTS.memory ? 'memory' : 'function'])]);
  const extra = WebAssembly.Module.imports(module).filter((i) => !(i.module === 'env' && allowed.get(i.name) === i.kind));
  if (extra.length > 0) {
    throw new UserError(`${wasmName}: imports ${extra.map((i) => `${i.module}.${i.name} (${i.kind})`).join(', ')}, which no cocodiff recognizer needs (it imports at most env.abort, and a threaded one its memory, env.thread_wait and env.thread_notify): not a recognizer, or built by another tool`);
  }
}

function embeddedSidecar(module: WebAssembly.Module, wasmName: string): Named | undefined {
  const [section] = WebAssembly.Module.customSections(module, SIDECAR_SECTION);
  const name = `${wasmName}'s custom section "${SIDECAR_SECTION}"`;
  return section ? { sidecar: parseSidecar(new TextDecoder().decode(section), name), name } : undefined;
}

const RECOMPILE = 'Recompile, or pass --trust-sidecar (trustSidecar: true) to use it anyway';

/**
 * Every sidecar that states a `wasmSha256` must state the module's (runtime-as/shared/wasm-identity.ts). For the
 * embedded one a mismatch means damage; for a `.json`, most often another build's labels. Without
 * Web Crypto an external sidecar cannot be tied to the module and is refused unless trusted; the
 * embedded one travels inside the module, so it can be damaged but never swapped, and is then
 * taken unchecked.
 */
async function checkIdentity(bytes: Uint8Array | ArrayBuffer, wasmName: string, embedded: Named | undefined, external: Named | undefined, trust: boolean, warn: (message: string) => void): Promise<void> {
  const claims = [embedded, external].filter((s): s is Named => s?.sidecar.wasmSha256 !== undefined);
  if (claims.length === 0) return;
  const actual = await recognizerSha256(bytes, wasmName);
  if (actual === null) {
    if (external?.sidecar.wasmSha256 !== undefined && !trust) {
      throw new UserError(`${external.name}: cannot check that it belongs to ${wasmName} (no Web Crypto here, e.g. a page served over plain http); serve it over https, or load with trustSidecar: true`);
    }
    return;
  }
  for (const { sidecar, name } of claims) {
    if (sidecar.wasmSha256 === actual) continue;
    const why = sidecar === embedded?.sidecar ? 'the .wasm was damaged or changed after it was compiled' : 'the sidecar describes another build, or the .wasm is damaged';
    const message = `${name}: field "wasmSha256" does not match ${wasmName} (sha256 ${actual.slice(0, 12)}…, the sidecar says ${sidecar.wasmSha256!.slice(0, 12)}…): ${why}`;
    if (!trust) throw new UserError(`${message}. ${RECOMPILE}`);
    warn(`${message}; used anyway (trustSidecar)`);
  }
}

/**
 * A `.json` beside the module (or given) that says something else than the module's own sidecar
 * would silently relabel it. A field the `.json` leaves out is not a contradiction: a hand-written
 * sidecar may hold only what a host needs.
 */
function checkAgreement(embedded: Named, external: Named, trust: boolean, warn: (message: string) => void): void {
  const inside = embedded.sidecar as unknown as Record<string, unknown>;
  const differing = Object.entries(external.sidecar)
    .filter(([field, value]) => field in inside && canonicalJson(value) !== canonicalJson(inside[field]))
    .map(([field]) => `"${field}"`);
  if (differing.length === 0) return;
  const message = `${external.name} disagrees with ${embedded.name} (field${differing.length > 1 ? 's' : ''} ${differing.join(', ')}): one of them belongs to another build`;
  if (!trust) throw new UserError(`${message}. Recompile (cocodiff compile writes both), remove the .json, or pass --trust-sidecar (trustSidecar: true) to use ${external.name}`);
  warn(`${message}; using ${external.name} (trustSidecar)`);
}

/** JSON with object keys sorted, so two sidecars compare by content, not by key order or spacing. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

async function fetchBytes(url: URL): Promise<ArrayBuffer> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    throw new UserError(`${url}: cannot fetch the recognizer (${(err as Error).message}${(err as Error).cause ? `: ${((err as Error).cause as Error).message}` : ''})`);
  }
  if (!res.ok) throw new UserError(`${url}: HTTP ${res.status} while loading the recognizer`);
  return res.arrayBuffer();
}

async function fetchSidecar(url: URL, required: boolean): Promise<RecognizerSidecar | undefined> {
  let res: Response;
  try {
    res = await fetch(url);
  } catch (err) {
    if (!required) return undefined;
    throw new UserError(`${url}: cannot fetch the sidecar (${(err as Error).message})`);
  }
  if (!res.ok) {
    if (!required) return undefined;
    throw new UserError(`${url}: HTTP ${res.status} while loading the sidecar`);
  }
  const text = await res.text();
  // Servers often answer a missing file with their index page; only a required sidecar must be JSON.
  if (!required && !/^\s*\{/.test(text)) return undefined;
  return parseSidecar(text, String(url));
}
