/**
 * The text vectors a run trains with, one coarse and one fine vector per class:
 *   coarse = mean embedding of the label and its synonyms;
 *   fine   = mean embedding of the six body-part sentences (head, hands, arms, hips, legs, feet).
 * We average the parts rather than keep six vectors: the denoiser projects the text once per block
 * anyway, and one vector per class keeps the user-supplied-embedding path (one row per class) identical.
 *
 * Each phrase is encoded once and cached in RUN_DIR/text-embeddings.json (keyed by the exact phrase
 * and the encoder), so a resumed or repeated run never re-encodes, and edited text re-encodes only
 * the phrases that changed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { OptionError } from 'cocodiff-runtime/shared/errors';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { writeFileAtomic } from '../../common/atomic.ts';
import { BODY_PARTS, descriptionsFor, loadDescriptions, selectClasses, type ClassText } from './descriptions.ts';
import { loadEmbeddingsFile, type ClassEmbeddings } from './embeddings-file.ts';
import { USE_LITE_NAME, loadUseLite, type TextEncoder } from './encoder.ts';

export const EMBEDDING_CACHE_FILE = 'text-embeddings.json';
const CACHE_FORMAT = 'cocodiff-text-embeddings';

export interface TextSource {
  classes: readonly string[];
  runDir: string;
  textFile?: string;
  embeddingsFile?: string;
}

interface PhraseCache {
  format: typeof CACHE_FORMAT;
  version: 1;
  encoder: string;
  dim: number;
  /** phrase → little-endian float32 vector, base64. */
  phrases: Record<string, string>;
}

export interface EncoderChoice {
  name: string;
  load: () => Promise<TextEncoder>;
}

const USE_LITE: EncoderChoice = { name: USE_LITE_NAME, load: () => loadUseLite() };

export async function classTextEmbeddings(src: TextSource, encoder: EncoderChoice = USE_LITE): Promise<ClassEmbeddings> {
  if (src.embeddingsFile) return loadEmbeddingsFile(src.embeddingsFile, src.classes);
  const text: ClassText[] = src.textFile
    ? selectClasses(await loadDescriptions(src.textFile), src.classes, src.textFile)
    : (await descriptionsFor(src.classes)).classes;
  const phrases = [...new Set(text.flatMap((c) => [...c.coarse, ...BODY_PARTS.map((p) => c.fine[p])]))];
  // Before the encoder loads or anything is embedded: thousands of classes would take the encoder
  // hours and make a phrase cache too large to write or read back.
  if (phrases.length > LIMITS.textPhrases) {
    throw new OptionError('text', (name) => `${src.textFile ?? 'the built-in descriptions'}: ${text.length} classes give ${phrases.length} distinct phrases to embed, more than the ${LIMITS.textPhrases} the built-in text encoder takes in one run (LIMITS.textPhrases); give ${name('textEmbeddings')} instead (precomputed class embeddings: a [classes, dim] .npy, one row per class)`);
  }
  const vectors = await encodeCached(phrases, join(src.runDir, EMBEDDING_CACHE_FILE), encoder.name, encoder.load);
  const dim = vectors.get(phrases[0])!.length;
  const mean = (list: string[]): Float32Array => {
    const out = new Float32Array(dim);
    for (const s of list) vectors.get(s)!.forEach((x, d) => (out[d] += x / list.length));
    return out;
  };
  const coarse = new Float32Array(text.length * dim);
  const fine = new Float32Array(text.length * dim);
  text.forEach((c, k) => {
    coarse.set(mean(c.coarse), k * dim);
    fine.set(mean(BODY_PARTS.map((p) => c.fine[p])), k * dim);
  });
  return { dim, coarse, fine, source: src.textFile ?? 'built-in descriptions' };
}

/** Encodes the phrases the cache lacks (loading the encoder only then) and rewrites the cache. */
export async function encodeCached(
  phrases: readonly string[],
  cacheFile: string,
  encoderName: string,
  loadEncoder: () => Promise<TextEncoder>,
): Promise<Map<string, Float32Array>> {
  // A different encoder's vectors must never be mixed with ours: such a cache counts as empty.
  const cache = await readCache(cacheFile, encoderName);
  const vectors = new Map<string, Float32Array>();
  const missing: string[] = [];
  for (const p of phrases) {
    const b64 = cache?.phrases[p];
    if (b64 === undefined) missing.push(p);
    else vectors.set(p, decode(b64));
  }
  if (missing.length === 0) return vectors;
  const encoder = await loadEncoder();
  try {
    const rows = await encoder.embed(missing);
    missing.forEach((p, i) => vectors.set(p, rows[i]));
    const next: PhraseCache = { format: CACHE_FORMAT, version: 1, encoder: encoderName, dim: encoder.dim, phrases: { ...cache?.phrases } };
    for (const [p, v] of vectors) next.phrases[p] = encode(v);
    await writeFileAtomic(cacheFile, JSON.stringify(next));
    return vectors;
  } finally {
    encoder.dispose();
  }
}

async function readCache(file: string, encoderName: string): Promise<PhraseCache | null> {
  try {
    const doc = JSON.parse(await readFile(file, 'utf8')) as PhraseCache;
    return doc.format === CACHE_FORMAT && doc.version === 1 && doc.encoder === encoderName ? doc : null;
  } catch {
    return null; // no cache yet, or a damaged one: re-encode
  }
}

function encode(v: Float32Array): string {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
}

function decode(b64: string): Float32Array {
  const bytes = Buffer.from(b64, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}
