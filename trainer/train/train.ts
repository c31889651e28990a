/**
 * The training loop: CTR-GCN (+ the CoCoDiff branch when asked) on a dataset cache, with the
 * authors' recipe, a checkpoint per epoch, metrics, plots and the model artifact at the end.
 *
 * Reproducibility: the model is initialised from the seed; sample order and augmentation come from
 * one Rng whose state is checkpointed after every epoch; the optimiser's momentum buffers and the
 * branch's state are checkpointed too. A resumed run therefore computes exactly what an
 * uninterrupted one does (bit-identical on the same backend).
 */
import { resolve } from 'node:path';
import { writeFileAtomic } from '../../common/atomic.ts';
import { withDirLock } from '../../common/dir-lock.ts';
import { Rng } from '../../common/rng.ts';
import { backendDetail, selectBackend } from '../backend.ts';
import { runPaths, type TrainOptions } from './config.ts';
import { EVAL_FILES } from './plots.ts';
import { EMBEDDING_CACHE_FILE } from '../text/class-embeddings.ts';
import { trainEpoch } from './epoch.ts';
import { writeRunArtifact } from './export.ts';
import { finalScore, type CleanTrainScore, type RunResult, type TestScore } from './final-score.ts';
import { newRun } from './new-run.ts';
import { checkResume, restoreSession, resumedRun } from './resume.ts';
import { writeCheckpoint } from './run-state.ts';
import type { Selection } from './selection.ts';
import { checkpointGroups, disposeSession, initialState, openSession, type TrainState } from './session.ts';
import { checkOwnFolder } from '../../common/output-dir.ts';

export interface TrainResult {
  runDir: string;
  artifactDir: string;
  /** The epoch whose weights the artifact holds, and why it was chosen. */
  chosen: Selection;
  /** The chosen epoch's top-1 on its training recordings under the test transform (memorisation). */
  cleanTrain: CleanTrainScore;
  /** The test split, scored once at the end with the chosen epoch's weights. */
  test: TestScore;
  /** Wall time of the run's epochs and its final test, summed over every session of a resumed run. */
  wallSeconds: number;
  /** Mean time of one optimisation step (forward, backward, update), over the run's epochs. */
  msPerStep: number;
}

/** Everything a training run writes at the top of its directory (runPaths, the final score's confusion files, the text cache). */
const RUN_FILES = ['run.json', 'checkpoints', 'metrics.jsonl', 'curves.svg', 'artifact', 'result.json', ...EVAL_FILES, EMBEDDING_CACHE_FILE];

/** Trains holding the run directory's lock (common/dir-lock.ts), taken before the run is read: a second writer is refused and changes nothing. */
export async function runTraining(opts: TrainOptions): Promise<TrainResult> {
  const runDir = resolve(opts.out);
  return withDirLock(runDir, () => train(opts, runDir));
}

async function train(opts: TrainOptions, runDir: string): Promise<TrainResult> {
  const paths = runPaths(runDir);
  const log = opts.quiet ? () => {} : (line: string) => console.error(line);
  await checkResume(opts, runDir, paths.last);
  if (!opts.resume) await checkOwnFolder(runDir, RUN_FILES, 'training run');
  const run = opts.resume ? await resumedRun(opts, runDir) : await newRun(opts);
  run.backend = await selectBackend(opts.backend ?? 'auto', { threads: opts.threads });
  const detail = await backendDetail();
  log(`backend: ${run.backend}${detail ? ` (${detail})` : ''}`);

  const session = await openSession(run, { runDir, paths, opts, log });
  let state: TrainState;
  let result: RunResult & { cleanTrain: CleanTrainScore };
  try {
    state = opts.resume ? await restoreSession(session) : initialState(run.config.seed);
    await writeFileAtomic(paths.run, JSON.stringify(run, null, 2) + '\n');
    // Epoch 0: the initial weights, so even a failure in the first epoch leaves a good checkpoint.
    if (!opts.resume) await writeCheckpoint(paths.last, state, await checkpointGroups(session));
    // Sample order and augmentation only; the weights are initialised from the seed by the model.
    const rng = new Rng(state.rng);
    while (state.epoch < run.config.epochs) state = await trainEpoch(session, state, rng);
    result = await finalScore(session, state);
  } finally {
    disposeSession(session);
  }

  // The run's own artifact: replaced by every (resumed) session that finishes.
  await writeRunArtifact(runDir, paths.artifact, 'best', { force: true });
  return {
    runDir,
    artifactDir: paths.artifact,
    chosen: result.chosen,
    cleanTrain: result.cleanTrain,
    test: result.test,
    // Over the whole run, earlier sessions of a resumed run included.
    wallSeconds: state.history.reduce((sum, m) => sum + m.seconds, 0) + result.test.seconds,
    msPerStep: state.history.reduce((sum, m) => sum + m.msPerStep, 0) / state.history.length,
  };
}
