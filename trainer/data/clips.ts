/**
 * `prepare clips`: a folder of per-clip files (clip-file.ts) → dataset cache. What each clip is comes
 * from its file name, matched against a pattern with named groups: `label` (the action), `subject`
 * (the performer), optionally `view` and `rep`. The test split is the clips of the listed subjects
 * (or views); the rest train, and training's validation split is carved from those by subject
 * (subsets.ts), so it never holds a test subject or view. The named loaders of small datasets
 * (clip-presets.ts) are presets of this.
 */
import { basename } from 'node:path';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { LAYOUTS, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { progress } from '../../common/progress.ts';
import type { SplitName } from './cache.ts';
import { readClipFile } from './clip-file.ts';
import { ALL_ZERO, bump, checkOut, listFiles, writeCache, type PrepareOptions, type PrepareReport } from './prepare.ts';
import { subjectOf } from './subsets.ts';

export type ClipSplitBy = 'subject' | 'view';

export interface ClipsSpec {
  root: string;
  /** Matched against each file's name (not its folder); named groups label and subject, optionally view and rep. */
  pattern: RegExp;
  layout: LayoutName;
  /** The test split: clips whose subject (or view) is listed, compared as numbers when both are numbers. */
  splitBy: ClipSplitBy;
  testGroups: readonly string[];
  /** Class names by class index; `classOf` maps a label group to that index. Default: the label values, sorted. */
  classes?: readonly string[];
  classOf?: (label: string) => number | undefined;
  /** Multiplies every coordinate (0.001: millimetres to metres). */
  scale?: number;
  /** Only these clips (file names without extension), e.g. a dataset's standard list; a listed clip that is missing is an error. */
  only?: { names: ReadonlySet<string>; what: string };
  /** The cache's benchmark name, e.g. msr3d-xsub. */
  benchmark: string;
}

interface ClipFile {
  path: string;
  /** The file name without its extension: the sample's name. */
  stem: string;
  label: string;
  subject: string;
  view?: string;
}

/** "007" and "7" are one subject; other text is compared as it is. */
function groupKey(s: string): string {
  return /^\d+$/.test(s) ? String(Number(s)) : s;
}

function stemOf(path: string): string {
  return basename(path).replace(/\.[^.]+$/, '');
}

/** Refuses a pattern that cannot say what a clip is, before any file is read. */
function checkClipPattern(pattern: RegExp, splitBy: ClipSplitBy): void {
  const groups = new Set([...pattern.source.matchAll(/\(\?<([A-Za-z_]\w*)>/g)].map((m) => m[1]));
  for (const need of ['label', 'subject', ...(splitBy === 'view' ? ['view'] : [])]) {
    if (!groups.has(need)) throw new OptionError('pattern', `/${pattern.source}/ has no named group (?<${need}>…); it must name the clip's label and subject${splitBy === 'view' ? ' and view' : ''}`);
  }
}

/** The files under `root` that the pattern names, each with its groups; the others are counted in `skipped`. */
async function matchClips(spec: ClipsSpec, skipped: Record<string, number>): Promise<ClipFile[]> {
  const files = await listFiles(spec.root, '');
  if (files.length === 0) throw new UserError(`${spec.root}: no files found (expected one clip per file)`);
  const clips: ClipFile[] = [];
  for (const path of files) {
    const m = spec.pattern.exec(basename(path));
    if (!m) { bump(skipped, 'file name does not match the pattern'); continue; }
    const { label, subject, view } = m.groups ?? {};
    if (!label) throw new UserError(`${path}: the pattern /${spec.pattern.source}/ matches the name but gives no label (group "label" is empty)`);
    if (!subject) throw new UserError(`${path}: the pattern /${spec.pattern.source}/ matches the name but gives no subject (group "subject" is empty)`);
    if (spec.splitBy === 'view' && !view) throw new UserError(`${path}: the pattern /${spec.pattern.source}/ matches the name but gives no view (group "view" is empty)`);
    clips.push({ path, stem: stemOf(path), label, subject, view });
  }
  if (clips.length === 0) {
    throw new UserError(`${spec.root}: none of its ${files.length} files matches the pattern /${spec.pattern.source}/ (first file: ${basename(files[0])})`);
  }
  return clips;
}

/** Class index by label value: the preset's mapping, or the distinct values sorted (as numbers when all are). */
function classIndex(spec: ClipsSpec, clips: readonly ClipFile[]): { classes: string[]; classOf: (c: ClipFile) => number } {
  if (spec.classOf && spec.classes) {
    const of = spec.classOf;
    return {
      classes: [...spec.classes],
      classOf: (c) => {
        const k = of(c.label);
        if (k === undefined) throw new UserError(`${c.path}: label "${c.label}" is none of the ${spec.classes!.length} classes of ${spec.benchmark}`);
        return k;
      },
    };
  }
  const values = [...new Set(clips.map((c) => groupKey(c.label)))];
  const numeric = values.every((v) => /^\d+$/.test(v));
  values.sort(numeric ? (a, b) => Number(a) - Number(b) : undefined);
  if (spec.classes && spec.classes.length !== values.length) {
    throw new OptionError('classes', `${spec.classes.length} names, but the clips have ${values.length} labels (${values.join(', ')})`);
  }
  const at = new Map(values.map((v, k) => [v, k]));
  return { classes: spec.classes ? [...spec.classes] : values.map((v) => `label ${v}`), classOf: (c) => at.get(groupKey(c.label))! };
}

/**
 * The sample's name: the file's own when subsets.ts reads the clip's subject from it (a01_s03_e02),
 * else the file's prefixed with it, so that validation holds out whole subjects.
 */
function sampleName(c: ClipFile): string {
  const subject = `s${groupKey(c.subject)}`;
  return subjectOf(c.stem) === subjectOf(`${subject}_x`) ? c.stem : `${subject}_${c.stem}`;
}

export async function prepareClips(spec: ClipsSpec, out: string, opts: PrepareOptions = {}): Promise<PrepareReport> {
  const start = Date.now();
  checkClipPattern(spec.pattern, spec.splitBy);
  await checkOut(out, opts, [spec.root]);
  const layout = LAYOUTS[spec.layout];
  if (layout.dims !== 3) throw new OptionError('layout', `${spec.layout} is a 2-D keypoint layout; per-clip files hold 3-D joints (use ${Object.values(LAYOUTS).filter((l) => l.dims === 3).map((l) => l.name).join(', ')})`);
  const skipped: Record<string, number> = {};
  let clips = await matchClips(spec, skipped);
  if (spec.only) {
    const have = new Set(clips.map((c) => c.stem));
    const missing = [...spec.only.names].filter((n) => !have.has(n));
    if (missing.length > 0) throw new UserError(`${spec.root}: ${missing.length} clip${missing.length > 1 ? 's' : ''} of ${spec.only.what} missing: ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
    const kept = clips.filter((c) => spec.only!.names.has(c.stem));
    for (let i = kept.length; i < clips.length; i++) bump(skipped, `not in ${spec.only.what}`);
    clips = kept;
  }
  const { classes, classOf } = classIndex(spec, clips);
  const groupOf = (c: ClipFile): string => groupKey(spec.splitBy === 'view' ? c.view! : c.subject);
  const test = new Set(spec.testGroups.map(groupKey));
  const present = new Set(clips.map(groupOf));
  const absent = [...test].filter((g) => !present.has(g));
  if (absent.length > 0) throw new OptionError(spec.splitBy === 'view' ? 'testViews' : 'testSubjects', `${absent.join(', ')}: no clip has ${spec.splitBy === 'view' ? 'that view' : 'that subject'} (the clips have ${[...present].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0)).join(', ')})`);
  if (clips.every((c) => test.has(groupOf(c)))) throw new OptionError(spec.splitBy === 'view' ? 'testViews' : 'testSubjects', 'every clip would be a test clip; nothing is left to train on');
  const allZero: string[] = [];
  const index = await writeCache(out, {
    layout: spec.layout, persons: 1, joints: layout.joints.length, coords: 3, classes, benchmark: spec.benchmark, source: spec.root,
  }, opts, [spec.root], async (w, check) => {
    const bar = opts.quiet ? null : progress(`prepare ${spec.benchmark}`, clips.length);
    try {
      for (const [i, c] of clips.entries()) {
        check();
        const clip = await readClipFile(c.path, { joints: layout.joints.length, scale: spec.scale });
        bar?.update(i + 1);
        if (!clip) { allZero.push(basename(c.path)); continue; }
        const split: SplitName = test.has(groupOf(c)) ? 'test' : 'train';
        await w.add(split, { layout: spec.layout, frames: clip.frames, persons: 1, joints: layout.joints.length, coords: 3, data: clip.data, label: classOf(c), name: sampleName(c), source: c.path });
      }
    } finally {
      bar?.stop();
    }
  });
  if (allZero.length > 0) skipped[`${ALL_ZERO}: ${allZero.join(', ')}`] = allZero.length;
  return { index, skipped, seconds: (Date.now() - start) / 1000 };
}
