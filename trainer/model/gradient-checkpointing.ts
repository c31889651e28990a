/**
 * Gradient checkpointing for tfjs. tfjs keeps every forward intermediate on its tape until the step
 * ends (about 1.9 GB per sample for the full CTR-GCN, past the 4 GB wasm heap at batch 4). A
 * checkpointed block runs its forward pass off the tape, keeping only its input, the outputs of its
 * stages and what its memos ask for; the backward pass replays the stages one at a time, last first,
 * with the tape on and backpropagates through each replay.
 *
 * Stages rather than one replay of the whole block: tfjs keeps every gradient of a backward pass
 * until that pass ends, so one replay of a whole TCN-GCN unit would need several times the memory
 * of its halves. Keeping the stage boundaries instead of replaying the block again to recover them
 * means each stage's forward runs exactly twice per step.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * Values a stage's first run keeps so that its replay can reuse them instead of recomputing them.
 * Reuse is exact because a replay computes the same values as the first run (no randomness in a
 * stage). `through` is called in the same order in both runs.
 */
export class Memo {
  readonly kept: tf.Tensor[] = [];
  private next = 0;

  /** `recalled`: the tensors the first run kept, for a replay; absent in the first run. */
  constructor(private readonly recalled?: tf.Tensor[]) {}

  /**
   * `compute(known)` with `known` undefined in the first run (whose result is kept) and, in the
   * replay, the value that call produced then.
   */
  through<T extends tf.Tensor>(compute: (known?: T) => T): T {
    if (this.recalled) return compute(this.recalled[this.next++] as T);
    const value = compute();
    this.kept.push(value);
    return value;
  }
}

/**
 * One stage of a block: `h` is the previous stage's output (the block input for the first stage),
 * `x` the block input (for a residual). `record` is false during the replay, where side effects
 * (batch-norm running statistics) must not happen a second time.
 */
export interface Stage {
  weights: tf.Variable[];
  run: (h: tf.Tensor4D, x: tf.Tensor4D, record: boolean, memo: Memo) => tf.Tensor4D;
}

export function checkpoint(stages: Stage[], x: tf.Tensor4D): tf.Tensor4D {
  const weights = stages.flatMap((s) => s.weights);
  // Filled by the first run; the gradient needs them to split its saved tensors.
  const keptCounts: number[] = [];
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor4D;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const boundaries: tf.Tensor4D[] = [];
    const kept: tf.Tensor[] = [];
    let h = input;
    stages.forEach((stage, i) => {
      if (i > 0) boundaries.push(h);
      const memo = new Memo();
      h = stage.run(h, input, true, memo);
      keptCounts.push(memo.kept.length);
      kept.push(...memo.kept);
    });
    save([input, ...boundaries, ...kept]);
    return {
      value: h,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => replay(stages, saved, keptCounts, dy),
    };
  }) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor4D;
  return run(x, ...weights);
}

/** Gradients of the block input and of every stage's weights, replaying the stages last first. */
function replay(stages: Stage[], saved: tf.Tensor[], keptCounts: number[], dy: tf.Tensor): tf.Tensor[] {
  const x = saved[0] as tf.Tensor4D;
  const inputs = [x, ...saved.slice(1, stages.length)] as tf.Tensor4D[];
  let offset = stages.length;
  const recalled = keptCounts.map((n) => saved.slice(offset, (offset += n)));
  // A gradient computation inside the outer backward pass starts a fresh tape and clears it when
  // done; the outer pass still needs its own tape afterwards (to free its saved tensors), so it is
  // put back.
  const engine = tf.engine() as unknown as { state: { activeTape: unknown } };
  const outerTape = engine.state.activeTape;
  try {
    // tidy: tfjs calls custom gradients outside any scope of their own, so the gradients between
    // stages would otherwise live until the whole backward pass ends.
    return tf.tidy(() => {
      const weightGrads: tf.Tensor[][] = [];
      let dh = dy;
      let dx: tf.Tensor | undefined;
      for (let i = stages.length - 1; i >= 0; i--) {
        const { weights, run } = stages[i];
        const h = inputs[i];
        // The first stage's h is x itself; later stages see x only through a residual, if at all.
        const xs: tf.Tensor[] = i === 0 ? [h, ...weights] : [h, x, ...weights];
        // Its own tidy: the replayed output is returned by gradients() and would otherwise live
        // until the block's whole backward ends.
        const grads = tf.tidy(() => {
          const memo = new Memo(recalled[i]);
          return tf.engine().gradients(() => run(h, x, false, memo), xs, dh, true).grads;
        });
        dh = grads[0] ?? tf.zerosLike(h);
        const dxResidual = i === 0 ? undefined : grads[1];
        if (dxResidual) dx = dx ? tf.add(dx, dxResidual) : dxResidual;
        weightGrads[i] = grads.slice(i === 0 ? 1 : 2).map((g, j) => g ?? tf.zerosLike(weights[j]));
      }
      return [dx ? tf.add(dh, dx) : dh, ...weightGrads.flat()];
    });
  } finally {
    engine.state.activeTape = outerTape;
  }
}
