/**
 * Precomputed class-text embeddings made elsewhere (CLIP, a larger sentence encoder...), used instead of
 * the built-in encoder. Two layouts:
 *
 *   JSON  { "dim": D, "classes": { "<label>": E, ... } }   where E is one of (`text embed` adds
 *                                                          "format": EMBEDDINGS_FORMAT)
 *           number[D]                       one vector, used as both coarse and fine text
 *           number[P][D]                    one row per phrase, averaged
 *           { "coarse": number[D] | number[P][D], "fine": number[D] | number[P][D] }
 *   .npy  float array [K, D] (one row per class) or [K, P, D] (P phrases per class, averaged), in the
 *         order of the training classes; used as both coarse and fine text.
 *
 * Every training class must be present with the declared dimension; extra classes are ignored.
 */
import { atField } from 'cocodiff-runtime/shared/errors';
import { readNpy } from 'cocodiff-runtime/shared/formats/npy';
import { normaliseLabel } from './descriptions.ts';
import { parseJson } from 'cocodiff-runtime/shared/json-fields';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';

/**
 * The `format` field `cocodiff text embed` writes into its JSON, so that it may replace its own
 * earlier output (common/output-file.ts). Optional when reading: files made elsewhere have none.
 */
export const EMBEDDINGS_FORMAT = 'cocodiff-text-embeddings';

/** Per class, in training-class order: [K × dim] row-major. */
export interface ClassEmbeddings {
  dim: number;
  coarse: Float32Array;
  fine: Float32Array;
  /** Where the vectors came from, for run.json and reports. */
  source: string;
}

export async function loadEmbeddingsFile(file: string, classes: readonly string[]): Promise<ClassEmbeddings> {
  return file.toLowerCase().endsWith('.npy') ? loadNpyEmbeddings(file, classes) : loadJsonEmbeddings(file, classes);
}

async function loadNpyEmbeddings(file: string, classes: readonly string[]): Promise<ClassEmbeddings> {
  const { shape, data } = await readNpy(file);
  if (shape.length !== 2 && shape.length !== 3) {
    throw atField(file, 'shape', `expected [classes, dim] or [classes, phrases, dim], got (${shape.join(', ')})`);
  }
  if (shape[0] !== classes.length) {
    throw atField(file, 'shape', `expected one row per training class (${classes.length}), got ${shape[0]}`);
  }
  const dim = shape[shape.length - 1];
  const phrases = shape.length === 3 ? shape[1] : 1;
  if (dim < 1 || phrases < 1) throw atField(file, 'shape', `empty dimension in (${shape.join(', ')})`);
  const out = new Float32Array(classes.length * dim);
  for (let k = 0; k < classes.length; k++) {
    for (let p = 0; p < phrases; p++) {
      const row = data.subarray((k * phrases + p) * dim, (k * phrases + p + 1) * dim);
      for (let d = 0; d < dim; d++) out[k * dim + d] += row[d] / phrases;
    }
  }
  checkFinite(out, file, 'data');
  return { dim, coarse: out, fine: out, source: file };
}

async function loadJsonEmbeddings(file: string, classes: readonly string[]): Promise<ClassEmbeddings> {
  const doc = parseJson(await readInputText(file, 'embeddings JSON'), file);
  if (typeof doc !== 'object' || doc === null) throw atField(file, '(root)', 'expected an object {dim, classes}');
  const { dim, classes: entries } = doc as { dim?: unknown; classes?: unknown };
  if (!Number.isInteger(dim) || (dim as number) < 1) throw atField(file, 'dim', `expected a positive integer, got ${JSON.stringify(dim)}`);
  if (typeof entries !== 'object' || entries === null || Array.isArray(entries)) {
    throw atField(file, 'classes', 'expected an object mapping each label to its embedding(s)');
  }
  const byLabel = new Map<string, [string, unknown]>();
  for (const [label, value] of Object.entries(entries)) {
    const key = normaliseLabel(label);
    const prev = byLabel.get(key);
    if (prev) throw atField(file, `classes.${label}`, `duplicate label (same as "${prev[0]}")`);
    byLabel.set(key, [label, value]);
  }
  const D = dim as number;
  const coarse = new Float32Array(classes.length * D);
  const fine = new Float32Array(classes.length * D);
  classes.forEach((label, k) => {
    const entry = byLabel.get(normaliseLabel(label));
    if (!entry) throw atField(file, 'classes', `no embedding for training class ${k} "${label}"`);
    const [name, value] = entry;
    const field = `classes.${name}`;
    const isSplit = typeof value === 'object' && value !== null && !Array.isArray(value);
    const c = isSplit ? (value as Record<string, unknown>).coarse : value;
    const f = isSplit ? (value as Record<string, unknown>).fine : value;
    coarse.set(meanRow(c, D, file, isSplit ? `${field}.coarse` : field), k * D);
    fine.set(meanRow(f, D, file, isSplit ? `${field}.fine` : field), k * D);
  });
  return { dim: D, coarse, fine, source: file };
}

/** number[D] or number[P][D] → the mean row; anything else names the field and the expected shape. */
function meanRow(value: unknown, dim: number, file: string, field: string): Float32Array {
  if (!Array.isArray(value) || value.length === 0) throw atField(file, field, `expected number[${dim}] or number[phrases][${dim}]`);
  const rows = (Array.isArray(value[0]) ? value : [value]) as unknown[];
  const out = new Float32Array(dim);
  rows.forEach((row, p) => {
    const where = rows === value ? `${field}[${p}]` : field;
    if (!Array.isArray(row)) throw atField(file, where, `expected number[${dim}]`);
    if (row.length !== dim) throw atField(file, where, `wrong dimension: expected ${dim} numbers, got ${row.length}`);
    row.forEach((x, d) => {
      if (typeof x !== 'number' || !Number.isFinite(x)) throw atField(file, `${where}[${d}]`, `expected a finite number, got ${JSON.stringify(x)}`);
      out[d] += x / rows.length;
    });
  });
  return out;
}

function checkFinite(a: Float32Array, file: string, field: string): void {
  const bad = a.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw atField(file, field, `non-finite value in class row ${bad}`);
}
