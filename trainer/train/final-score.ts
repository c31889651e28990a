/** The end of a run: the test split scored once, with the weights of the epoch chosen on validation. */
import type { Tensor } from '../../common/artifact.ts';
import { writeFileAtomic } from '../../common/atomic.ts';
import { OptionError } from 'cocodiff-runtime/shared/errors';
import { classificationReport, meanCrossEntropy } from './metrics.ts';
import { writeConfusion } from './plots.ts';
import { predict } from './predict.ts';
import { writePredictions } from './predictions-file.ts';
import { readCheckpoint } from './run-state.ts';
import { describeSelection, type Selection } from './selection.ts';
import type { Session, TrainState } from './session.ts';

export interface TestScore {
  samples: number;
  top1: number;
  top5: number;
  loss: number;
  seconds: number;
}

/**
 * Top-1 of the chosen epoch's weights on its own training recordings under the test transform (no
 * augmentation): next to validation and test it says whether the model memorised its training set,
 * which is where feature-diversifying methods such as CoCoDiff have a gap to close.
 */
export interface CleanTrainScore {
  samples: number;
  top1: number;
}

/** RUN_DIR/result.json: what the run trained on, the chosen epoch, its clean train top-1 and its one test score. */
export interface RunResult {
  trainSamples: number;
  valSamples: number;
  valSubjects: string[];
  chosen: Selection;
  /** Absent in runs from before it was measured. */
  cleanTrain?: CleanTrainScore;
  test: TestScore;
}

/** Scores the test split with the best checkpoint (nothing is selected on it) and writes the confusion matrix, each sample's answer (predictions.jsonl) and result.json. */
export async function finalScore(s: Session, state: TrainState): Promise<RunResult & { cleanTrain: CleanTrainScore }> {
  if (!state.best) throw new OptionError('epochs', `no epoch was trained in ${s.runDir} with ${s.run.config.epochs}`);
  const chosen = describeSelection(state.best, state.history);
  const testStart = performance.now();
  const best = await readCheckpoint<{ epoch: number }>(s.paths.best);
  s.model.loadNamedWeights(best.groups.model as Map<string, Tensor>, s.paths.best);
  const p = await predict(s.model, s.data.cache, 'test', s.data.testPre, s.run.config.batch);
  const report = classificationReport(p.logits, p.labels, p.numClasses);
  await writeConfusion(s.runDir, report, s.run.classes, `test, epoch ${chosen.epoch} (chosen on validation)`);
  await writePredictions(s.runDir, s.data.cache.index.splits.test.samples.map((x) => x.name), p.labels, p.logits, s.run.classes);
  const test: TestScore = { samples: report.samples, top1: report.top1, top5: report.top5, loss: meanCrossEntropy(p.logits, p.labels, p.numClasses), seconds: (performance.now() - testStart) / 1000 };
  const { subsets } = s.data;
  const onTrain = await predict(s.model, s.data.cache, 'train', s.data.testPre, s.run.config.batch, undefined, subsets.train);
  const cleanTrain: CleanTrainScore = { samples: subsets.train.length, top1: classificationReport(onTrain.logits, onTrain.labels, onTrain.numClasses).top1 };
  const result = { trainSamples: subsets.train.length, valSamples: subsets.val.length, valSubjects: subsets.valSubjects, chosen, cleanTrain, test };
  await writeFileAtomic(s.paths.result, JSON.stringify(result, null, 2) + '\n');
  return result;
}
