/**
 * predictions.jsonl: what an evaluation answered for each sample, one JSON object a line, in the
 * split's order. `train` writes it beside the run's test confusion matrix, `eval --out` beside an
 * evaluation's (an ensemble's too), and `cocodiff compare` pairs two of them sample by sample:
 *
 *   {"sample":"a01_s07_e00_v03","label":"pick up with one hand","top5":["pick up with one hand","carry",…]}
 *
 * Class names rather than indices, so a file reads on its own and two files pair without knowing
 * either model's class order; the five best classes rather than all scores, so NTU-120's 50,000 test
 * samples stay a few megabytes. The ranking is metrics.ts's (ties go to the lower class), so the
 * file's top-1 and top-5 are the evaluation's.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { writeFileAtomic } from '../../common/atomic.ts';
import { UserError, atLine } from 'cocodiff-runtime/shared/errors';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';

export const PREDICTIONS_FILE = 'predictions.jsonl';
/** How many of the best classes each line keeps. */
const TOP = 5;

export interface PredictionLine {
  sample: string;
  label: string;
  /** The best classes, best first (fewer than five when the model has fewer classes). */
  top5: string[];
}

/**
 * The `top` best classes of row i, best first; ties rank the lower class first. One pass keeping the
 * best few, not a sort of the row: a 10,000-class model's test split would sort 10,000 a sample.
 */
function bestClasses(scores: ArrayLike<number>, k: number, i: number, top: number): number[] {
  const best: number[] = [];
  for (let c = 0; c < k; c++) {
    const s = scores[i * k + c];
    // Classes arrive in order, so a tie stays behind the earlier class.
    let at = best.length;
    while (at > 0 && s > scores[i * k + best[at - 1]]) at--;
    if (at < top) {
      best.splice(at, 0, c);
      if (best.length > top) best.pop();
    }
  }
  return best;
}

/** Writes DIR/predictions.jsonl for the samples `names` with their `labels` and [N][K] `scores`. */
export async function writePredictions(dir: string, names: readonly string[], labels: ArrayLike<number>, scores: ArrayLike<number>, classes: readonly string[]): Promise<void> {
  const k = classes.length;
  const lines = names.map((sample, i) => JSON.stringify({ sample, label: classes[labels[i]], top5: bestClasses(scores, k, i, TOP).map((c) => classes[c]) }));
  await writeFileAtomic(join(dir, PREDICTIONS_FILE), lines.join('\n') + '\n');
}

/** A predictions.jsonl, or the folder holding one (a run, or an `eval --out` folder). */
function predictionsPath(path: string): string {
  return existsSync(path) && statSync(path).isDirectory() ? join(path, PREDICTIONS_FILE) : path;
}

function line(file: string, n: number, text: string): PredictionLine {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw atLine(file, n, `not JSON; expected {"sample": …, "label": …, "top5": […]}`);
  }
  const o = v as Partial<Record<keyof PredictionLine, unknown>>;
  const isName = (s: unknown): s is string => typeof s === 'string' && s !== '';
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw atLine(file, n, 'expected a JSON object {"sample": …, "label": …, "top5": […]}');
  if (!isName(o.sample)) throw atLine(file, n, '"sample" must be a non-empty string (the sample\'s name)');
  if (!isName(o.label)) throw atLine(file, n, '"label" must be a non-empty string (the true class)');
  if (!Array.isArray(o.top5) || o.top5.length === 0 || o.top5.length > TOP || !o.top5.every(isName)) {
    throw atLine(file, n, `"top5" must list 1 to ${TOP} class names, best first`);
  }
  if (new Set(o.top5).size !== o.top5.length) throw atLine(file, n, '"top5" names a class twice');
  return { sample: o.sample, label: o.label, top5: o.top5 };
}

/** A predictions file as read: where it was, and its lines. */
export interface Predictions {
  file: string;
  lines: PredictionLine[];
}

/** Reads a predictions.jsonl (LF or CRLF; blank lines skipped), refusing a malformed line by its number. */
export async function readPredictions(path: string): Promise<Predictions> {
  const file = predictionsPath(path);
  if (file !== path && !existsSync(file)) {
    throw new UserError(`${path}: holds no ${PREDICTIONS_FILE}; runs trained by this version write one, and \`cocodiff eval MODEL --data CACHE --out ${path}\` writes one for any model or ensemble`);
  }
  const text = await readInputText(file, 'predictions (JSON lines)');
  const rows: PredictionLine[] = [];
  text.split(/\r?\n/).forEach((t, i) => {
    if (t.trim() !== '') rows.push(line(file, i + 1, t));
  });
  if (rows.length === 0) throw new UserError(`${file}: no predictions (expected one JSON object a line)`);
  return { file, lines: rows };
}
