/**
 * Gradient checkpointing for tfjs. tfjs keeps every forward intermediate on its tape until the step
 * ends (about 1.9 GB per sample for the full CTR-GCN, past the 4 GB wasm heap at batch 4). A
 * checkpointed block runs its forward pass off the tape, keeping only its input; the backward pass
 * replays the block with the tape on and backpropagates through the replay, so at most one block's
 * intermediates are alive at a time.
 */
import * as tf from '@tensorflow/tfjs';

/**
 * A block of layers: `record` is false during the replay, where side effects (batch-norm running
 * statistics) must not happen a second time. The replay must compute exactly what the first run
 * computed (no randomness inside a block).
 */
export type Block = (x: tf.Tensor4D, record: boolean) => tf.Tensor4D;

export function checkpoint(block: Block, x: tf.Tensor4D, weights: tf.Variable[]): tf.Tensor4D {
  const run = tf.customGrad((...args: Array<tf.Tensor | tf.GradSaveFunc>) => {
    const input = args[0] as tf.Tensor4D;
    (args[args.length - 1] as tf.GradSaveFunc)([input]);
    return {
      value: block(input, true),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => replay(block, saved[0] as tf.Tensor4D, weights, dy),
    };
  }) as unknown as (...inputs: tf.Tensor[]) => tf.Tensor4D;
  return run(x, ...weights);
}

/** Gradients of the block with respect to its input and weights, by replaying it on the tape. */
function replay(block: Block, x: tf.Tensor4D, weights: tf.Variable[], dy: tf.Tensor): tf.Tensor[] {
  // A gradient computation inside the outer backward pass starts a fresh tape and clears it when
  // done; the outer pass still needs its own tape afterwards (to free its saved tensors), so it is
  // put back.
  const engine = tf.engine() as unknown as { state: { activeTape: unknown } };
  const outerTape = engine.state.activeTape;
  try {
    // tidy: tfjs calls custom gradients outside any scope of their own, so the replayed output and
    // temporaries would otherwise live until the whole backward pass ends.
    return tf.tidy(() => {
      const xs: tf.Tensor[] = [x, ...weights];
      const { grads } = tf.engine().gradients(() => block(x, false), xs, dy, true);
      return grads.map((g, i) => g ?? tf.zerosLike(xs[i]));
    });
  } finally {
    engine.state.activeTape = outerTape;
  }
}
