/**
 * How well a gesture taught on the device from 1, 3, 5 and 10 recordings is recognised, and what it
 * costs the classes the model was trained on (docs/runtime.md, "Teaching a new gesture").
 *
 *   npm run few-shot -- --out runs/few-shot [--per-class 36] [--epochs 12] [--seed 1] [--draws 20]
 *
 * 1. The synthetic set without two gestures (`LEFT_OUT`): a synth-quick CTR-GCN is trained on the
 *    other 12 classes (validation subjects held out by the trainer), then compiled to a .wasm.
 * 2. Every recording of all 14 gestures goes through the .wasm once: its pooled feature and the
 *    module's logits (what `Recognizer.learn` fits from and scores with).
 * 3. Each left-out gesture is taught alone, from n recordings drawn from the training subjects
 *    (never seen by the backbone: it never saw the gesture), `draws` times per n.
 * 4. Settings (θ, ρ of the nearest-mean head, λ of the logistic head) are chosen on the validation
 *    subjects at n = 5 (the mean of the taught gesture's accuracy and the original classes'
 *    accuracy); the table is measured once, on the test subjects, with the chosen settings.
 *
 * Writes OUT/results.json and prints the table (markdown). Everything follows from --seed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Recognizer, type Sequence } from 'cocodiff-runtime';
import { FEW_SHOT_SETTINGS, fitHead, type FewShotSettings, type HeadMethod } from '../runtime-as/host/few-shot.ts';
import { Rng } from '../common/rng.ts';
import { compileArtifact } from '../compiler/index.ts';
import { CacheWriter } from '../trainer/data/cache.ts';
import { subjectOf, trainSubsets } from '../trainer/data/subsets.ts';
import { SYNTH_CLASSES, synthesize } from '../trainer/data/synth/index.ts';
import { runTraining } from '../trainer/train/train.ts';

const LEFT_OUT = ['clap', 'kick'];
const SHOTS = [1, 3, 5, 10];
const GRID = {
  ncm: [0, 1, 2, 3, 4, 6].flatMap((theta) => [0.01, 0.03, 0.1, 0.3].map((rho) => ({ theta, rho }))),
  logistic: [0.001, 0.01, 0.1, 1].map((lambda) => ({ lambda })),
} satisfies Record<HeadMethod, Partial<FewShotSettings>[]>;

const { values: args } = parseArgs({
  options: {
    out: { type: 'string', default: 'runs/few-shot' },
    'per-class': { type: 'string', default: '36' },
    epochs: { type: 'string', default: '12' },
    seed: { type: 'string', default: '1' },
    draws: { type: 'string', default: '20' },
  },
});
const out = resolve(args.out!);
const perClass = Number(args['per-class']);
const epochs = Number(args.epochs);
const seed = Number(args.seed);
const draws = Number(args.draws);

interface Sample { label: string; subject: string; split: 'train' | 'test'; feature: Float32Array; logits: Float32Array }

const started = performance.now();
const log = (line: string): void => console.error(`[${((performance.now() - started) / 1000).toFixed(0)} s] ${line}`);

// 1. Data without the left-out gestures, training, compiling.
const all = [...synthesize({ perClass, seed })];
const kept = SYNTH_CLASSES.map((c) => c.label).filter((l) => !LEFT_OUT.includes(l));
const labelOf = (s: Sequence): string => SYNTH_CLASSES[s.label!].label;
await mkdir(out, { recursive: true });
const data = join(out, 'data');
const writer = await CacheWriter.create(data, { layout: 'ntu25', persons: 2, joints: 25, coords: 3, classes: kept, benchmark: 'synthetic-xsub', source: `synthetic seed ${seed} without ${LEFT_OUT.join(', ')}` }, { force: true });
for (const s of all) {
  const at = kept.indexOf(labelOf(s.sequence));
  if (at >= 0) await writer.add(s.split, { ...s.sequence, label: at });
}
const index = await writer.commit();
log(`dataset: ${kept.length} classes, ${index.splits.train.samples.length} train / ${index.splits.test.samples.length} test recordings`);
const trained = await runTraining({ data, out: join(out, 'run'), preset: 'synth-quick', epochs, seed, backend: 'wasm', quiet: true, resume: false });
log(`trained: test top-1 ${(100 * trained.test.top1).toFixed(1)} % (epoch ${trained.chosen.epoch}), ${trained.wallSeconds.toFixed(0)} s`);
const wasm = join(out, 'recognizer.wasm');
await compileArtifact(trained.artifactDir, { out: wasm, force: true });
const recognizer = await Recognizer.load(wasm);

// The trainer's validation subjects (the same draw as the run's), never trained on.
const { valSubjects } = trainSubsets(index.splits.train.samples, { valFraction: 0.2, perClass: 0, seed });
const valSet = new Set(valSubjects);

// 2. Features and logits of every recording.
const samples: Sample[] = all.map((s) => {
  recognizer.classify(s.sequence);
  return { label: labelOf(s.sequence), subject: subjectOf(s.sequence.name!), split: s.split, feature: recognizer.lastFeature(), logits: recognizer.lastLogits() };
});
log(`features: ${samples.length} recordings, ${recognizer.info.features} features each`);

const K = kept.length;
const role = (s: Sample): 'teach' | 'val' | 'test' => (s.split === 'test' ? 'test' : valSet.has(s.subject) ? 'val' : 'teach');
const argmax = (z: ArrayLike<number>): number => {
  let best = 0;
  for (let i = 1; i < z.length; i++) if (z[i] > z[best]) best = i;
  return best;
};

interface Outcome { gesture: number; originals: number; originalsBefore: number; fitMs: number }

/** Teaches `gesture` from `shots` of its teaching recordings (one seeded draw) and scores the `on` subjects. */
function trial(method: HeadMethod, settings: FewShotSettings, gesture: string, shots: number, rng: Rng, on: 'val' | 'test'): Outcome {
  const pool = samples.filter((s) => s.label === gesture && role(s) === 'teach');
  const chosen = rng.shuffle([...pool]).slice(0, shots);
  const t0 = performance.now();
  const head = fitHead(method, [{ name: gesture, features: chosen.map((s) => s.feature), logits: chosen.map((s) => s.logits) }], settings);
  const fitMs = performance.now() - t0;
  const z = new Float32Array(K + 1);
  let newRight = 0, newCount = 0, origRight = 0, origBefore = 0, origCount = 0;
  for (const s of samples) {
    if (role(s) !== on) continue;
    const truth = s.label === gesture ? K : kept.indexOf(s.label);
    if (truth < 0) continue; // the other left-out gesture: not taught in this trial
    head.scores(s.feature, s.logits, z);
    const right = argmax(z) === truth;
    if (truth === K) {
      newCount++;
      newRight += Number(right);
    } else {
      origCount++;
      origRight += Number(right);
      origBefore += Number(argmax(s.logits) === truth);
    }
  }
  return { gesture: newRight / newCount, originals: origRight / origCount, originalsBefore: origBefore / origCount, fitMs };
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
/** Mean and 95 % t-interval half-width. */
function ci(xs: number[]): { mean: number; half: number } {
  const m = mean(xs);
  const sd = Math.sqrt(xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1));
  const t = xs.length >= 30 ? 1.96 : [12.71, 4.30, 3.18, 2.78, 2.57, 2.45, 2.36, 2.31, 2.26, 2.23, 2.20, 2.18, 2.16, 2.14, 2.13, 2.12, 2.11, 2.10, 2.09, 2.09][xs.length - 2] ?? 2.05;
  return { mean: m, half: (t * sd) / Math.sqrt(xs.length) };
}

function runAll(method: HeadMethod, settings: FewShotSettings, shots: number, on: 'val' | 'test'): Record<string, Outcome[]> {
  return Object.fromEntries(LEFT_OUT.map((g, gi) => {
    const rng = new Rng(seed * 1000 + gi * 100 + shots);
    return [g, Array.from({ length: draws }, () => trial(method, settings, g, shots, rng, on))];
  }));
}

// 4. Settings on validation (n = 5).
const chosen = {} as Record<HeadMethod, FewShotSettings>;
const validation: Record<string, unknown>[] = [];
for (const method of ['ncm', 'logistic'] as const) {
  let best = -1;
  for (const partial of GRID[method]) {
    const settings = { ...FEW_SHOT_SETTINGS, ...partial };
    const outcomes = Object.values(runAll(method, settings, 5, 'val')).flat();
    const score = mean(outcomes.map((o) => (o.gesture + o.originals) / 2));
    validation.push({ method, ...partial, score, gesture: mean(outcomes.map((o) => o.gesture)), originals: mean(outcomes.map((o) => o.originals)) });
    if (score > best) {
      best = score;
      chosen[method] = settings;
    }
  }
  if (!chosen[method]) throw new Error(`${method}: no setting could be scored on validation (too few recordings: raise --per-class)`);
  log(`${method}: chosen on validation ${JSON.stringify(chosen[method])} (score ${best.toFixed(3)})`);
}

// The table, on the test subjects.
const pct = ({ mean: m, half }: { mean: number; half: number }): string => `${(100 * m).toFixed(1)} ± ${(100 * half).toFixed(1)}`;
const rows: Record<string, unknown>[] = [];
const lines = ['| head | recordings | taught gesture (test subjects) | original classes after | change for the original classes | fit |', '|---|---|---|---|---|---|'];
for (const method of ['ncm', 'logistic'] as const) {
  for (const shots of SHOTS) {
    const byGesture = runAll(method, chosen[method], shots, 'test');
    const outcomes = Object.values(byGesture).flat();
    const gesture = ci(outcomes.map((o) => o.gesture));
    const after = ci(outcomes.map((o) => o.originals));
    const delta = ci(outcomes.map((o) => o.originals - o.originalsBefore));
    const fit = mean(outcomes.map((o) => o.fitMs));
    const perGesture = Object.fromEntries(Object.entries(byGesture).map(([g, os]) => [g, mean(os.map((o) => o.gesture))]));
    rows.push({ method, shots, gesture, perGesture, after, before: mean(outcomes.map((o) => o.originalsBefore)), delta, fitMs: fit });
    lines.push(`| ${method} | ${shots} | ${pct(gesture)} % (${Object.entries(perGesture).map(([g, a]) => `${g} ${(100 * a).toFixed(0)}`).join(', ')}) | ${pct(after)} % | ${(100 * delta.mean).toFixed(1)} [${(100 * (delta.mean - delta.half)).toFixed(1)}, ${(100 * (delta.mean + delta.half)).toFixed(1)}] points | ${fit.toFixed(2)} ms |`);
  }
}
const before = mean(samples.filter((s) => role(s) === 'test' && kept.includes(s.label)).map((s) => Number(argmax(s.logits) === kept.indexOf(s.label))));

// End to end through the API once: learn() from 5 recordings, timed, and the same answers as fitHead.
const five = samples.map((s, i) => ({ s, seq: all[i].sequence })).filter(({ s }) => s.label === LEFT_OUT[0] && role(s) === 'teach').slice(0, 5);
const learned = recognizer.learn(LEFT_OUT[0], five.map(({ seq }) => seq), { method: 'ncm' });
log(`learn("${LEFT_OUT[0]}") from 5 recordings through the API: ${learned.milliseconds.toFixed(1)} ms (recordings through the .wasm and the fit)`);

const results = {
  seed, perClass, epochs, draws, leftOut: LEFT_OUT, trainedClasses: kept, features: recognizer.info.features,
  backboneTestTop1: trained.test.top1, originalsBeforeTest: before, valSubjects, chosen, validation, rows, learnMs: learned.milliseconds,
  wallSeconds: (performance.now() - started) / 1000,
};
await writeFile(join(out, 'results.json'), JSON.stringify(results, null, 2) + '\n');
console.log(`Original classes before teaching (test subjects): ${(100 * before).toFixed(1)} %; ${draws} draws per gesture and n, 2 gestures; ± is the 95 % interval over the ${2 * draws} trials.\n`);
console.log(lines.join('\n'));
log(`done → ${join(out, 'results.json')}`);
