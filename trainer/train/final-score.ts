/** The end of a run: the test split scored once, with the weights of the epoch chosen on validation. */
import type { Tensor } from '../../common/artifact.ts';
import { writeFileAtomic } from '../../common/atomic.ts';
import { OptionError } from 'cocodiff-runtime/shared/errors';
import { classificationReport, meanCrossEntropy } from './metrics.ts';
import { writeConfusion } from './plots.ts';
import { predict } from './predict.ts';
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

/** RUN_DIR/result.json: what the run trained on, the chosen epoch and its one test score. */
export interface RunResult {
  trainSamples: number;
  valSamples: number;
  valSubjects: string[];
  chosen: Selection;
  test: TestScore;
}

/** Scores the test split with the best checkpoint (nothing is selected on it) and writes the confusion matrix and result.json. */
export async function finalScore(s: Session, state: TrainState): Promise<RunResult> {
  if (!state.best) throw new OptionError('epochs', `no epoch was trained in ${s.runDir} with ${s.run.config.epochs}`);
  const chosen = describeSelection(state.best, state.history);
  const testStart = performance.now();
  const best = await readCheckpoint<{ epoch: number }>(s.paths.best);
  s.model.loadNamedWeights(best.groups.model as Map<string, Tensor>, s.paths.best);
  const p = await predict(s.model, s.data.cache, 'test', s.data.testPre, s.run.config.batch);
  const report = classificationReport(p.logits, p.labels, p.numClasses);
  await writeConfusion(s.runDir, report, s.run.classes, `test, epoch ${chosen.epoch} (chosen on validation)`);
  const test: TestScore = { samples: report.samples, top1: report.top1, top5: report.top5, loss: meanCrossEntropy(p.logits, p.labels, p.numClasses), seconds: (performance.now() - testStart) / 1000 };
  const { subsets } = s.data;
  const result: RunResult = { trainSamples: subsets.train.length, valSamples: subsets.val.length, valSubjects: subsets.valSubjects, chosen, test };
  await writeFileAtomic(s.paths.result, JSON.stringify(result, null, 2) + '\n');
  return result;
}
