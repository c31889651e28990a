/**
 * A CTR-GC, as four kernels run one after the other (each a profiling step of its own):
 *
 *   topology   time mean of x; X1, X2 = conv1, conv2 of it; TH = tanh(X1[u] − X2[v])   (ctrgc-topology.ts)
 *   conv4      A[s] = W4·TH[s] + b4 + PA_s (alpha folded in): the conv micro-kernel over the V·Vp
 *              columns of the tanh maps, PA_s a residual row shared by every output channel; once per subset
 *   conv3      X3 = conv3(x) for all subsets at once: the conv micro-kernel, s·Cout output rows
 *   aggregate  out[c][t][u] = Σ_s Σ_v A[s][c][v][u]·X3[s][c][t][v] + bias, then the epilogue   (ctrgc-aggregate.ts)
 */
import { roundUp } from '../../tensor-layout.ts';
import { aggregateKernel } from '../kernels/ctrgc-aggregate.ts';
import { topologyKernel } from '../kernels/ctrgc-topology.ts';
import type { PlannedCtrgc } from '../plan.ts';
import { convCalls, qs8ConvCalls } from './conv.ts';
import { arena, describeEpilogue, shape, weight, type Call, type EmitContext, type EmittedOp } from './context.ts';

export function emitCtrgc(op: PlannedCtrgc, ctx: EmitContext): EmittedOp {
  const src = ctx.tensor(op.in);
  const dst = ctx.tensor(op.out);
  const { V, T } = src;
  const Vp = roundUp(V, 4);
  const n = op.subsets;
  const { scratch: sc, weights: p } = op;
  const mapBytes = V * Vp * 4;

  const topology = ctx.use(topologyKernel(V, ctx.isa));
  const aggregate = ctx.use(aggregateKernel({ isa: ctx.isa, V, subsets: n, tail: T % 4, residual: Boolean(op.residual), relu: op.relu }));
  const conv3 = { K: 1, relu: false, x: ctx.offset(op.in), xRow: ctx.rowBytes(op.in), tap: 0, o: sc.x3, oRow: sc.x3Row * 4, cin: op.cin, cout: n * op.cout, cols: src.cols };
  const calls: Call[] = [
    {
      kernel: 'ctrgc topology', macs: 2 * n * op.rel * op.cin * V,
      code: [`${topology}(${[
        ctx.at(op.in), ctx.rowBytes(op.in), T, (1 / T).toPrecision(9), op.cin, n * op.rel,
        weight(p.w1), weight(p.b1), weight(p.w2), weight(p.b2), arena(sc.xm), arena(sc.x1), arena(sc.x2), arena(sc.th),
      ].join(', ')});`],
    },
    ...Array.from({ length: n }, (_, s): Call => ({
      kernel: 'ctrgc conv4', macs: op.cout * op.rel * V * V,
      code: convCalls(ctx, {
        K: 1, relu: false, x: sc.th + s * op.rel * mapBytes, xRow: mapBytes, tap: 0, w: p.conv4[s].weight, b: p.conv4[s].bias,
        o: sc.a + s * op.cout * mapBytes, oRow: mapBytes, residual: { r: { base: 'WB', offset: p.paT[s] }, rRow: 0 }, cin: op.rel, cout: op.cout, cols: V * Vp,
      }),
    })),
    {
      kernel: `ctrgc conv3${op.conv3Int8 ? ' int8' : ''}`, macs: n * op.cout * op.cin * T * V,
      code: op.conv3Int8 ? qs8ConvCalls(ctx, op.in, conv3, op.conv3Int8) : convCalls(ctx, { ...conv3, w: p.conv3!.weight, b: p.conv3!.bias }),
    },
    {
      kernel: 'ctrgc aggregate', macs: n * op.cout * T * V * V,
      code: [`${aggregate}(${[
        arena(sc.x3), sc.x3Row * 4, arena(sc.a), ctx.at(op.out, op.outOffset), ctx.rowBytes(op.out),
        op.residual ? ctx.at(op.residual.tensor, op.residual.offset) : 0, op.residual ? ctx.rowBytes(op.residual.tensor) : 0,
        weight(p.bias), op.cout, T,
      ].join(', ')});`],
    },
  ];
  return {
    comment: `${op.module}: CTR-GC, ${n} subsets, ${op.in} ${shape(src)} ${describeEpilogue(op, op.cout)} (${shape({ ...dst, C: op.cout })})`,
    calls,
  };
}
