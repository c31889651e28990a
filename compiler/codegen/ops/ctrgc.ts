/**
 * A CTR-GC, as four kernels run one after the other (each a profiling step of its own):
 *
 *   topology   time mean of x; X1, X2 = conv1, conv2 of it; TH = tanh(X1[u] − X2[v])   (ctrgc-topology.ts)
 *   conv4      A[s] = W4·TH[s] + b4 + PA_s (alpha folded in): the conv micro-kernel over the V·Vp
 *              columns of the tanh maps, PA_s a residual row shared by every output channel; once per subset
 *   conv3      X3 = conv3(x) for all subsets at once: the conv micro-kernel, s·Cout output rows
 *   aggregate  out[c][t][u] = Σ_s Σ_v A[s][c][v][u]·X3[s][c][t][v] + bias, then the epilogue   (ctrgc-aggregate.ts)
 *
 * In a threaded module (`compile --threads`, threads.ts) each thread runs a CtrgcPart: its rows of
 * the topology (with a time mean of its own), its rows of conv3, a barrier (conv4 reads every row of
 * TH, the aggregation every subset's X3), then conv4 and the aggregation for its own channels: the
 * aggregation of channel c reads only A[·][c], which the same thread's conv4 wrote, so no barrier sits
 * between them. With an int8 conv3 that makes its input's codes, each thread makes its channels' codes
 * and a barrier follows, before conv3.
 */
import { roundUp } from '../../tensor-layout.ts';
import { aggregateKernel } from '../kernels/ctrgc-aggregate.ts';
import { topologyKernel } from '../kernels/ctrgc-topology.ts';
import type { PlannedCtrgc } from '../plan.ts';
import { convCalls, convRows, qs8ConvCalls, quantiseCalls } from './conv.ts';
import { arena, describeEpilogue, shape, weight, type Call, type EmitContext, type EmittedOp, type RowRange } from './context.ts';

/** One thread's share of a CTR-GC (threads.ts). */
export interface CtrgcPart {
  /** Rows of the topology's X1, X2, TH (of subsets × R). */
  topology: RowRange;
  /** Output rows of conv3 (of subsets × Cout). */
  conv3: RowRange;
  /** Channels of conv4 (in every subset) and of the aggregation. */
  channels: RowRange;
  /** Where this thread keeps its time mean xm (an address expression; thread 0 uses the plan's). */
  xm: string;
  /** Channels of the input whose activation codes this thread makes, where an int8 conv3 makes them (`--int8`). */
  codes: RowRange;
}

export function emitCtrgc(op: PlannedCtrgc, ctx: EmitContext, part?: CtrgcPart): EmittedOp {
  const src = ctx.tensor(op.in);
  const dst = ctx.tensor(op.out);
  const { V, T } = src;
  const Vp = roundUp(V, 4);
  const n = op.subsets;
  const { scratch: sc, weights: p } = op;
  const mapBytes = V * Vp * 4;

  const topology = ctx.use(topologyKernel(V, ctx.isa));
  const aggregate = ctx.use(aggregateKernel({ isa: ctx.isa, V, subsets: n, tail: T % 4, residual: Boolean(op.residual), relu: op.relu, channelRange: Boolean(part) }));
  const conv3 = { K: 1, relu: false, x: ctx.offset(op.in), xRow: ctx.rowBytes(op.in), tap: 0, o: sc.x3, oRow: sc.x3Row * 4, cin: op.cin, cout: n * op.cout, cols: src.cols };
  const { topology: rows, conv3: rows3, channels } = part ?? { topology: { begin: 0, end: n * op.rel }, conv3: { begin: 0, end: n * op.cout }, channels: { begin: 0, end: op.cout } };
  const i0 = rows.begin;
  const Vp4 = Vp * 4;
  const topologyCall = [`${topology}(${[
    ctx.at(op.in), ctx.rowBytes(op.in), T, (1 / T).toPrecision(9), op.cin, rows.end - i0,
    weight(p.w1 + i0 * op.cin * 4), weight(p.b1 + i0 * 4), weight(p.w2 + i0 * op.cin * 4), weight(p.b2 + i0 * 4),
    part?.xm ?? arena(sc.xm), arena(sc.x1 + i0 * Vp4), arena(sc.x2 + i0 * Vp4), arena(sc.th + i0 * V * Vp4),
  ].join(', ')});`];
  const some = (r: RowRange, code: () => string[]): string[] => (r.end > r.begin ? code() : []);
  const calls: Call[] = [
    { kernel: 'ctrgc topology', macs: 2 * n * op.rel * op.cin * V, code: some(rows, () => topologyCall) },
    ...(part && op.conv3Int8?.quantise ? [{ kernel: 'ctrgc conv3 int8', macs: 0, barrierAfter: true, code: quantiseCalls(ctx, op.in, op.conv3Int8, part.codes) }] : []),
    ...(part ? [{
      kernel: `ctrgc conv3${op.conv3Int8 ? ' int8' : ''}`, macs: n * op.cout * op.cin * T * V, barrierAfter: true,
      code: some(rows3, () => (op.conv3Int8 ? qs8ConvCalls(ctx, op.in, conv3, op.conv3Int8, rows3) : convCalls(ctx, convRows({ ...conv3, w: p.conv3!.weight, b: p.conv3!.bias }, rows3)))),
    }] : []),
    ...Array.from({ length: n }, (_, s): Call => ({
      kernel: 'ctrgc conv4', macs: op.cout * op.rel * V * V,
      code: some(channels, () => convCalls(ctx, convRows({
        K: 1, relu: false, x: sc.th + s * op.rel * mapBytes, xRow: mapBytes, tap: 0, w: p.conv4[s].weight, b: p.conv4[s].bias,
        o: sc.a + s * op.cout * mapBytes, oRow: mapBytes, residual: { r: { base: 'WB', offset: p.paT[s] }, rRow: 0 }, cin: op.rel, cout: op.cout, cols: V * Vp,
      }, channels))),
    })),
    ...(part ? [] : [{
      kernel: `ctrgc conv3${op.conv3Int8 ? ' int8' : ''}`, macs: n * op.cout * op.cin * T * V,
      code: op.conv3Int8
        ? [...(op.conv3Int8.quantise ? quantiseCalls(ctx, op.in, op.conv3Int8) : []), ...qs8ConvCalls(ctx, op.in, conv3, op.conv3Int8)]
        : convCalls(ctx, { ...conv3, w: p.conv3!.weight, b: p.conv3!.bias }),
    }]),
    {
      kernel: 'ctrgc aggregate', macs: n * op.cout * T * V * V,
      code: some(channels, () => [`${aggregate}(${[
        arena(sc.x3), sc.x3Row * 4, arena(sc.a), ctx.at(op.out, op.outOffset), ctx.rowBytes(op.out),
        op.residual ? ctx.at(op.residual.tensor, op.residual.offset) : 0, op.residual ? ctx.rowBytes(op.residual.tensor) : 0,
        weight(p.bias), op.cout, T, ...(part ? [channels.begin, channels.end] : []),
      ].join(', ')});`]),
    },
  ];
  return {
    comment: `${op.module}: CTR-GC, ${n} subsets, ${op.in} ${shape(src)} ${describeEpilogue(op, op.cout)} (${shape({ ...dst, C: op.cout })})`,
    calls,
  };
}
