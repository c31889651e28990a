/** The ops at the two ends of the network: the input (with the folded data batch-norm), the pooling, the classifier. */
import { INPUT_KERNEL, LINEAR_KERNEL, MEAN_KERNEL } from '../kernels/scalar.ts';
import type { PlannedInput, PlannedLinear, PlannedPool } from '../plan.ts';
import { shape, weight, zeroPads, type EmitContext, type EmittedOp, type RowRange } from './context.ts';

export function emitInput(op: PlannedInput, ctx: EmitContext): EmittedOp {
  const { C, T, V, M } = ctx.plan.input;
  const args = ['input', 'm', C, T, V, M, ctx.at(op.out), ctx.rowBytes(op.out), weight(op.weights.scale), weight(op.weights.shift)];
  return {
    comment: `${op.module}: person m of the input ${C}×${T}×${V}×${M}, normalised per person, joint and coordinate → ${op.out} ${shape(ctx.tensor(op.out))}`,
    calls: [{ code: [`${ctx.use(INPUT_KERNEL)}(${args.join(', ')});`, ...zeroPads(ctx, op.out, 0, C)], kernel: 'input', macs: 0 }],
  };
}

/** Writes this person's share of the feature to CONTRIB (the person loop adds it up); a threaded module's thread, channels `rows` of it. */
export function emitPool(op: PlannedPool, ctx: EmitContext, rows?: RowRange): EmittedOp {
  const src = ctx.tensor(op.in);
  const n = src.T * src.V;
  const { begin: c0, end: c1 } = rows ?? { begin: 0, end: src.C };
  const args = [ctx.at(op.in, c0), ctx.rowBytes(op.in), n, (1 / (n * op.persons)).toPrecision(9), c1 - c0, c0 ? `CONTRIB + ${c0 * 4}` : 'CONTRIB'];
  return {
    comment: `${op.module}: ${op.in} ${shape(src)} averaged over frames, joints and the ${op.persons} persons → this person's share of ${op.out} (${src.C})`,
    calls: [{ code: c1 > c0 ? [`${ctx.use(MEAN_KERNEL)}(${args.join(', ')});`] : [], kernel: 'pool', macs: 0 }],
  };
}

export function emitLinear(op: PlannedLinear, ctx: EmitContext): EmittedOp {
  const args = [ctx.at(op.in), weight(op.weights.weight), weight(op.weights.bias), 'logits', op.classes, op.features];
  return {
    comment: `${op.module}: classifier, ${op.in} (${op.features}) → ${op.out} (${op.classes})`,
    calls: [{ code: [`${ctx.use(LINEAR_KERNEL)}(${args.join(', ')});`], kernel: 'linear', macs: op.classes * op.features }],
  };
}
