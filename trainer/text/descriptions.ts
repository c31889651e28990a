/**
 * Class descriptions: the text that guides CoCoDiff. One JSON file per dataset in
 * trainer/text/descriptions/<dataset>.json:
 *
 *   { "format": "cocodiff-text", "version": 1, "dataset": "ntu120" | "kinetics400" | "synthetic" | …,
 *     "classes": [ { "label": "drink water",
 *                    "coarse": ["drink water", "sip water", ...],          // the label + ≥ 5 synonyms
 *                    "fine": { "head": "...", "hands": "...", "arms": "...",
 *                              "hips": "...", "legs": "...", "feet": "..." } } ] }
 *
 * Coarse text names the action (it pulls generated features towards their class); fine text says what
 * each body part does (it conditions every denoising step). NTU-60 is the first 60 entries of ntu120.
 */
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { UserError, atField } from 'cocodiff-runtime/shared/errors';
import { parseJson } from 'cocodiff-runtime/shared/json-fields';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';

export const TEXT_FORMAT = 'cocodiff-text';
export const TEXT_VERSION = 1;
export const BODY_PARTS = ['head', 'hands', 'arms', 'hips', 'legs', 'feet'] as const;
export type BodyPart = (typeof BODY_PARTS)[number];
/** The label plus at least five synonyms or paraphrases. */
export const MIN_COARSE = 6;

export interface ClassText {
  label: string;
  coarse: string[];
  fine: Record<BodyPart, string>;
}

export interface Descriptions {
  format: typeof TEXT_FORMAT;
  version: number;
  dataset: string;
  classes: ClassText[];
}

/** The datasets the project writes descriptions for; ntu60 is a view of ntu120. */
export const BUILTIN_DATASETS = ['ntu60', 'ntu120', 'kinetics400', 'synthetic', 'nw-ucla', 'msr3d', 'florence3d'] as const;
export type BuiltinDataset = (typeof BUILTIN_DATASETS)[number];

export const DESCRIPTIONS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'descriptions');

/**
 * Checks a parsed descriptions document field by field; `file` names the source in errors. The
 * project's own files must give MIN_COARSE coarse entries per class; a user's files need only the label.
 */
export function validateDescriptions(doc: unknown, file: string, minCoarse = 1): Descriptions {
  const obj = asObject(doc, file, '(root)');
  if (obj.format !== TEXT_FORMAT) throw atField(file, 'format', `expected "${TEXT_FORMAT}", got ${JSON.stringify(obj.format)}`);
  if (obj.version !== TEXT_VERSION) throw atField(file, 'version', `expected ${TEXT_VERSION}, got ${JSON.stringify(obj.version)}`);
  if (typeof obj.dataset !== 'string' || obj.dataset.trim() === '') throw atField(file, 'dataset', 'expected a non-empty string');
  if (!Array.isArray(obj.classes) || obj.classes.length === 0) throw atField(file, 'classes', 'expected a non-empty array');
  const seen = new Map<string, number>();
  const classes = obj.classes.map((c, i): ClassText => {
    const field = `classes[${i}]`;
    const entry = asObject(c, file, field);
    const label = nonEmpty(entry.label, file, `${field}.label`);
    const key = normaliseLabel(label);
    if (seen.has(key)) throw atField(file, `${field}.label`, `duplicate label "${label}" (also classes[${seen.get(key)}])`);
    seen.set(key, i);
    if (!Array.isArray(entry.coarse)) throw atField(file, `${field}.coarse`, 'expected an array of strings');
    const coarse = entry.coarse.map((s, j) => nonEmpty(s, file, `${field}.coarse[${j}]`));
    if (coarse.length < minCoarse) {
      throw atField(file, `${field}.coarse`, `expected the label and at least ${minCoarse - 1} synonyms, got ${coarse.length} entries`);
    }
    const fineObj = asObject(entry.fine, file, `${field}.fine`);
    for (const k of Object.keys(fineObj)) {
      if (!(BODY_PARTS as readonly string[]).includes(k)) {
        throw atField(file, `${field}.fine.${k}`, `unknown body part; expected ${BODY_PARTS.join(', ')}`);
      }
    }
    const fine = Object.fromEntries(BODY_PARTS.map((p) => [p, nonEmpty(fineObj[p], file, `${field}.fine.${p}`)])) as Record<BodyPart, string>;
    return { label, coarse, fine };
  });
  return { format: TEXT_FORMAT, version: TEXT_VERSION, dataset: obj.dataset, classes };
}

/**
 * Loads and validates a descriptions file, or one of the project's own by dataset name
 * (`ntu60`, `ntu120`, `kinetics400`, `synthetic`, `nw-ucla`, `msr3d`, `florence3d`).
 */
export async function loadDescriptions(fileOrDataset: string): Promise<Descriptions> {
  const builtin = (BUILTIN_DATASETS as readonly string[]).includes(fileOrDataset);
  const file = builtin ? join(DESCRIPTIONS_DIR, `${fileOrDataset === 'ntu60' ? 'ntu120' : fileOrDataset}.json`) : fileOrDataset;
  const doc = parseJson(await readInputText(file, 'descriptions'), file);
  const d = validateDescriptions(doc, file, builtin ? MIN_COARSE : 1);
  if (fileOrDataset === 'ntu60') {
    if (d.classes.length < 60) throw atField(file, 'classes', `NTU-60 needs the first 60 of ntu120's classes, found ${d.classes.length}`);
    return { ...d, dataset: 'ntu60', classes: d.classes.slice(0, 60) };
  }
  return d;
}

/**
 * The text for each training class, in class order. Labels match case- and punctuation-insensitively
 * ("drink water." = "Drink water"). Throws naming the first class the descriptions lack.
 */
export function selectClasses(d: Descriptions, classes: readonly string[], file: string): ClassText[] {
  const byLabel = new Map(d.classes.map((c) => [normaliseLabel(c.label), c]));
  return classes.map((label, i) => {
    const found = byLabel.get(normaliseLabel(label));
    if (!found) throw atField(file, 'classes', `no entry for training class ${i} "${label}"`);
    return found;
  });
}

/**
 * Finds the project's descriptions whose labels cover the training classes (NTU-60/120, Kinetics-400,
 * the synthetic set, NW-UCLA, MSR Action3D, Florence 3D) and returns the text in class order.
 */
export async function descriptionsFor(classes: readonly string[]): Promise<{ dataset: string; classes: ClassText[] }> {
  for (const name of ['ntu120', 'kinetics400', 'synthetic', 'nw-ucla', 'msr3d', 'florence3d'] as const) {
    let d: Descriptions;
    try {
      d = await loadDescriptions(name);
    } catch {
      continue; // a missing or broken builtin file only matters if no other dataset matches
    }
    try {
      return { dataset: name, classes: selectClasses(d, classes, name) };
    } catch {
      // not this dataset
    }
  }
  throw new UserError(
    `no built-in descriptions cover the training classes (first: "${classes[0]}"); pass --text FILE ` +
      '(a cocodiff-text JSON, see `cocodiff text import`) or --embeddings FILE',
  );
}

/** Labels compare by their words: case, punctuation and extra spaces do not matter. */
export function normaliseLabel(label: string): string {
  return label.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
}

function asObject(v: unknown, file: string, field: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw atField(file, field, 'expected an object');
  return v as Record<string, unknown>;
}

function nonEmpty(v: unknown, file: string, field: string): string {
  if (typeof v !== 'string' || v.trim() === '') throw atField(file, field, 'expected a non-empty string');
  return v.trim();
}
