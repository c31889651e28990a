/** A 3×1 max-pool over time (then a folded batch-norm's affine), or a subsample that keeps every stride-th frame. */
import { timePoolKernel } from '../kernels/time-pool.ts';
import type { PlannedMaxPool, PlannedSubsample } from '../plan.ts';
import { describeEpilogue, shape, weight, zeroPads, type EmitContext, type EmittedOp, type RowRange } from './context.ts';

/** The op, or (a threaded module) its channels `rows` only: every channel is a row of its own. */
export function emitTimePool(op: PlannedMaxPool | PlannedSubsample, ctx: EmitContext, rows?: RowRange): EmittedOp {
  const src = ctx.tensor(op.in);
  const dst = ctx.tensor(op.out);
  const affine = op.kind === 'maxpool' && op.weights.scale !== undefined ? op.weights as { scale: number; shift: number } : undefined;
  const kernel = ctx.use(timePoolKernel({
    op: op.kind === 'maxpool' ? 'maxpool3' : 'subsample', V: src.V, affine: Boolean(affine), residual: Boolean(op.residual), relu: op.relu,
  }));
  const { begin: c0, end: c1 } = rows ?? { begin: 0, end: src.C };
  const args = [
    ctx.at(op.in, c0), ctx.rowBytes(op.in), src.T, op.stride, ctx.at(op.out, op.outOffset + c0), ctx.rowBytes(op.out),
    op.residual ? ctx.at(op.residual.tensor, op.residual.offset + c0) : 0, op.residual ? ctx.rowBytes(op.residual.tensor) : 0,
    affine ? weight(affine.scale + c0 * 4) : 0, affine ? weight(affine.shift + c0 * 4) : 0, c1 - c0, src.T / op.stride,
  ];
  const what = op.kind === 'maxpool' ? `3×1 max-pool, stride ${op.stride}${affine ? ', then its batch-norm' : ''}` : `every ${op.stride === 2 ? '2nd' : `${op.stride}th`} frame (stride ${op.stride})`;
  return {
    comment: `${op.module}: ${what}, ${op.in} ${shape(src)} ${describeEpilogue(op, src.C)} (${shape({ ...dst, C: src.C })})`,
    calls: [{ code: c1 > c0 ? [`${kernel}(${args.join(', ')});`, ...zeroPads(ctx, op.out, op.outOffset + c0, c1 - c0)] : [], kernel: op.kind, macs: 0 }],
  };
}
