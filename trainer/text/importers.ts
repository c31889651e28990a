/**
 * Importers for the description files other skeleton-text projects publish (GAP's layout):
 *
 *   synonyms:  one class per line, `label,syn1, syn2, ...`
 *   parts:     one class per line, `label;head;hand;arm;hip;leg;foot`
 *
 * Both are turned into one cocodiff-text document (trainer/text/descriptions.ts), so the rest of the
 * pipeline only ever reads one format.
 */
import { UserError, atLine } from 'cocodiff-runtime/shared/errors';
import { BODY_PARTS, TEXT_FORMAT, TEXT_VERSION, normaliseLabel, validateDescriptions, type BodyPart, type Descriptions } from './descriptions.ts';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';

export interface TextLines {
  /** Normalised label → [line number, label as written, fields after the label]. */
  byLabel: Map<string, { line: number; label: string; fields: string[] }>;
  order: string[];
}

/** Splits `label<sep>f1<sep>f2...` lines; blank lines and `#` comments are skipped. */
export function parseLines(text: string, file: string, sep: string, fieldCount?: number): TextLines {
  const byLabel: TextLines['byLabel'] = new Map();
  const order: string[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) return;
    const parts = raw.split(sep).map((s) => s.trim());
    const label = parts[0];
    if (label === '') throw atLine(file, line, `empty label before the first "${sep}"`);
    const fields = parts.slice(1);
    if (fieldCount !== undefined && fields.length !== fieldCount) {
      throw atLine(file, line, `expected the label and ${fieldCount} "${sep}"-separated fields, got ${fields.length}`);
    }
    const empty = fields.findIndex((f) => f === '');
    if (empty >= 0) throw atLine(file, line, `field ${empty + 2} is empty`);
    const key = normaliseLabel(label);
    const prev = byLabel.get(key);
    if (prev) throw atLine(file, line, `duplicate label "${label}" (first on line ${prev.line})`);
    byLabel.set(key, { line, label, fields });
    order.push(key);
  });
  if (order.length === 0) throw new UserError(`${file}: no class lines found`);
  return { byLabel, order };
}

/** `label,syn1, syn2, ...` → label → [label, synonyms...]. */
export function parseSynonyms(text: string, file: string): TextLines {
  return parseLines(text, file, ',');
}

/**
 * `label;head;hand;arm;hip;leg;foot` → label → the six part sentences, in our BODY_PARTS order
 * (head, hands, arms, hips, legs, feet: the same order GAP writes them).
 */
export function parseParts(text: string, file: string): TextLines {
  return parseLines(text, file, ';', BODY_PARTS.length);
}

export interface ImportOptions {
  synonymsFile: string;
  partsFile: string;
  dataset: string;
  /** Training classes that must all be present; default: the classes of the parts file, in its order. */
  classes?: string[];
}

/** Builds a validated cocodiff-text document from a synonyms file and a parts file. */
export async function importDescriptions(opts: ImportOptions): Promise<Descriptions> {
  const syn = parseSynonyms(await readText(opts.synonymsFile), opts.synonymsFile);
  const parts = parseParts(await readText(opts.partsFile), opts.partsFile);
  const wanted = opts.classes ?? parts.order.map((k) => parts.byLabel.get(k)!.label);
  const classes = wanted.map((label) => {
    const key = normaliseLabel(label);
    const p = parts.byLabel.get(key);
    if (!p) throw new UserError(`${opts.partsFile}: no line for class "${label}"`);
    const s = syn.byLabel.get(key);
    if (!s) throw new UserError(`${opts.synonymsFile}: no line for class "${label}"`);
    const fine = Object.fromEntries(BODY_PARTS.map((part, i) => [part, p.fields[i]])) as Record<BodyPart, string>;
    // The label itself is the first coarse phrase; synonyms that repeat it are dropped.
    const coarse = [label, ...s.fields.filter((f) => normaliseLabel(f) !== key)];
    return { label, coarse, fine };
  });
  return validateDescriptions({ format: TEXT_FORMAT, version: TEXT_VERSION, dataset: opts.dataset, classes }, opts.partsFile);
}

async function readText(file: string): Promise<string> {
  return readInputText(file, 'the text file');
}
