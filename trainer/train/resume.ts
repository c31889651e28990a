/**
 * Continuing a run: its run.json as it was configured (only --epochs, --backend, --threads and --quiet may
 * change), and the last checkpoint's weights, optimiser and branch state restored into the session.
 */
import * as tf from '@tensorflow/tfjs';
import type { Tensor } from '../../common/artifact.ts';
import { OptionError, UserError, type OptionNamer } from 'cocodiff-runtime/shared/errors';
import { readRunFile, resumeConflicts, type RunFile, type TrainOptions } from './config.ts';
import { hasCheckpoint, readCheckpoint, type StateTensor } from './run-state.ts';
import type { Session, TrainState } from './session.ts';
import { printable } from '../../common/terminal.ts';

/** Refuses --resume without a run to continue, and a new run over an existing one. */
export async function checkResume(opts: TrainOptions, runDir: string, last: string): Promise<void> {
  const resumable = await hasCheckpoint(last);
  if (opts.resume && !resumable) throw new UserError(`${runDir}: nothing to resume (no checkpoints/last/state.json)`);
  if (!opts.resume && resumable) throw new OptionError('out', (name) => `${runDir} already holds a training run; continue it with ${name('resume')}, or choose another ${name('out')}`);
}

/** The run.json the run started with; refuses options that would change it, except a new --epochs. */
export async function resumedRun(opts: TrainOptions, runDir: string): Promise<RunFile> {
  const run = await readRunFile(runDir);
  // Runs from before the coarse loss had these switches worked as their first values.
  if (run.config.cocodiff) run.config.cocodiff = { ...run.config.cocodiff, coarseOn: run.config.cocodiff.coarseOn ?? 'standardised', coarseDim: run.config.cocodiff.coarseDim ?? 0 };
  const conflicts = (name: OptionNamer) => resumeConflicts(opts, run.config, name);
  if (conflicts((o) => o).length > 0) {
    throw new OptionError('resume', (name) => `${runDir} continues the run as it was configured; these options differ from it: ${conflicts(name).join(', ')}. Only ${name('epochs')}, ${name('backend')}, ${name('threads')} and ${name('quiet')} may change; start a new run (${name('out')}) to change the others`);
  }
  if (opts.epochs !== undefined) {
    if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new OptionError('epochs', `expected a positive integer, found ${opts.epochs}`);
    run.config.epochs = opts.epochs;
  }
  return run;
}

/** Loads the last checkpoint into the session's model, optimisers and branch; returns the progress it saved. */
export async function restoreSession(s: Session): Promise<TrainState> {
  const { last } = s.paths;
  const ck = await readCheckpoint<TrainState>(last);
  s.model.loadNamedWeights(ck.groups.model as Map<string, Tensor>, last);
  s.opt.sgd.restore(ck.groups.optimizer as Map<string, Tensor>);
  if (s.branch) {
    const restored = toTf(ck.groups.branch ?? new Map());
    s.branch.restore(restored);
    tf.dispose([...restored.values()]);
    s.opt.branch!.restore((ck.groups.branchOptimizer ?? new Map()) as Map<string, Tensor>);
  }
  s.log(`resuming ${printable(s.runDir)} after epoch ${ck.state.epoch}`);
  return ck.state;
}

function toTf(m: Map<string, StateTensor>): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  for (const [name, t] of m) out.set(name, tf.tensor(t.data, t.shape, t.data instanceof Int32Array ? 'int32' : 'float32'));
  return out;
}
