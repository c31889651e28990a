/** A K×1 convolution: one call of the conv micro-kernel (two when the channels are not a multiple of 4). */
import { CONV_MR, convKernel } from '../kernels/conv.ts';
import type { EpilogueKind } from '../kernels/isa.ts';
import { INT8_FORMATS, inverseScale } from '../../int8/arithmetic.ts';
import { QUANTIZE_KERNEL, QUANTIZE_QUADS_KERNEL, qs8C4ConvKernel, qs8ConvKernel } from '../kernels/qs8-conv.ts';
import type { PackedConv } from '../../pack.ts';
import type { PlannedConv, PlannedInt8 } from '../plan.ts';
import { address, arena, describeEpilogue, int8Weight, shape, weight, zeroPads, type Address, type EmitContext, type EmittedOp, type RowRange } from './context.ts';

/** A conv call site: the kernel's parameters; x, o and r are arena offsets, w and b weight offsets. */
export interface ConvSite extends Omit<EpilogueKind, 'residual'> {
  K: number;
  x: number; xRow: number; tap: number;
  w: number; b: number;
  o: number; oRow: number;
  /** Residual row 0 and the bytes between its rows (0: one row added to every output row). */
  residual?: { r: Address; rRow: number };
  cin: number; cout: number; cols: number;
}

/**
 * The same conv restricted to output rows [begin, end): its weights, bias, output and residual
 * moved to row `begin` (a multiple of CONV_MR, so the packed weights start a block there).
 */
export function convRows(s: ConvSite, rows: RowRange): ConvSite {
  if (rows.begin % CONV_MR !== 0) throw new Error(`codegen: a conv's rows split at ${rows.begin}, not a multiple of ${CONV_MR}`);
  const r0 = rows.begin;
  return {
    ...s,
    w: s.w + r0 * s.cin * s.K * 4, b: s.b + r0 * 4, o: s.o + r0 * s.oRow,
    residual: s.residual && { r: { ...s.residual.r, offset: s.residual.r.offset + r0 * s.residual.rRow }, rRow: s.residual.rRow },
    cout: rows.end - rows.begin,
  };
}

/** The statements that run a conv: whole blocks of 4 output rows, then a kernel for the remaining rows. */
export function convCalls(ctx: EmitContext, s: ConvSite): string[] {
  const call = (mr: number, row0: number, rows: number): string => {
    const name = ctx.use(convKernel({ isa: ctx.isa, K: s.K, mr, residual: Boolean(s.residual), relu: s.relu }));
    const res = s.residual ? [address(s.residual.r, row0 * s.residual.rRow), s.residual.rRow] : [0, 0];
    const args = [
      arena(s.x), s.xRow, ...(s.K > 1 ? [s.tap] : []), weight(s.w + (row0 / CONV_MR) * s.cin * s.K * 16), weight(s.b + row0 * 4),
      arena(s.o + row0 * s.oRow), s.oRow, ...res, s.cin, rows, s.cols,
    ];
    return `${name}(${args.join(', ')});`;
  };
  const full = Math.floor(s.cout / CONV_MR) * CONV_MR;
  return [
    ...(full > 0 ? [call(CONV_MR, 0, full)] : []),
    ...(s.cout > full ? [call(s.cout - full, full, s.cout - full)] : []),
  ];
}

/**
 * The statement that turns tensor `input` into the activation codes its int8 readers share (the first
 * reader's job): all its channels, or (a threaded module's share) channels `rows`, in whole groups of
 * the format's channels a step but for the last thread's remainder.
 */
export function quantiseCalls(ctx: EmitContext, input: string, q: PlannedInt8, rows?: RowRange): string[] {
  const t = ctx.tensor(input);
  const { activationMax, channelsPerStep } = INT8_FORMATS[q.format];
  const { begin, end } = rows ?? { begin: 0, end: t.C };
  if (begin % channelsPerStep !== 0) throw new Error(`codegen: codes of ${input} split at channel ${begin}, not a multiple of ${channelsPerStep}`);
  if (end <= begin) return [];
  const rowBytes = t.rowStride * 4;
  const kernel = ctx.use(q.format === 'c4' ? QUANTIZE_QUADS_KERNEL : QUANTIZE_KERNEL);
  return [`${kernel}(${arena(t.offset + begin * rowBytes)}, ${rowBytes}, ${end - begin}, ${arena(q.codes + (begin / channelsPerStep) * rowBytes)}, ${inverseScale(q.xScale).toPrecision(9)}, ${-q.xZero}, ${activationMax - q.xZero});`];
}

/**
 * The qs8 kernel calls of an int8 conv (`--int8`) on tensor `input`'s codes, like convCalls: output
 * rows `rows` (a threaded module's share, starting at a multiple of 4) or all. `s.x` is the f32 tensor's
 * offset of the first column read; the codes keep its column offsets (qs8-conv.ts), so x moves into them unchanged.
 */
export function qs8ConvCalls(ctx: EmitContext, input: string, s: Omit<ConvSite, 'w' | 'b'>, q: PlannedInt8, rows?: RowRange): string[] {
  const t = ctx.tensor(input);
  const c4 = q.format === 'c4';
  const groups = Math.ceil(s.cin / INT8_FORMATS[q.format].channelsPerStep);
  const call = (mr: number, row0: number, n: number): string => {
    const spec = { K: s.K, mr, residual: Boolean(s.residual), relu: s.relu };
    const name = ctx.use(c4 ? qs8C4ConvKernel(spec) : qs8ConvKernel({ ...spec, isa: ctx.isa }));
    const res = s.residual ? [address(s.residual.r, row0 * s.residual.rRow), s.residual.rRow] : [0, 0];
    const args = [
      arena(q.codes + s.x - t.offset), s.xRow, ...(s.K > 1 ? [s.tap] : []),
      int8Weight(q.weights.qweight + (row0 / CONV_MR) * groups * s.K * 16), weight(q.weights.scale + row0 * 4), weight(q.weights.bias + row0 * 4),
      ...(c4 ? [int8Weight(q.weights.correction! + row0 * 4)] : []),
      arena(s.o + row0 * s.oRow), s.oRow, ...res, groups, n, s.cols,
    ];
    return `${name}(${args.join(', ')});`;
  };
  const { begin, end } = rows ?? { begin: 0, end: s.cout };
  if (begin % CONV_MR !== 0) throw new Error(`codegen: an int8 conv's rows split at ${begin}, not a multiple of ${CONV_MR}`);
  const full = Math.floor((end - begin) / CONV_MR) * CONV_MR;
  return [...(full > 0 ? [call(CONV_MR, begin, full)] : []), ...(end - begin > full ? [call(end - begin - full, begin + full, end - begin - full)] : [])];
}

/**
 * A conv, or (a threaded module) its output rows `rows` only; an int8 conv that makes its input's codes
 * there makes channels `codeRows` of them, then a barrier, before its rows.
 */
export function emitConv(op: PlannedConv, ctx: EmitContext, rows?: RowRange, codeRows?: RowRange): EmittedOp {
  const src = ctx.tensor(op.in);
  const dst = ctx.tensor(op.out);
  const site = {
    K: op.K, relu: op.relu,
    x: ctx.offset(op.in, 0, -op.pad), xRow: ctx.rowBytes(op.in), tap: op.dilation * src.V * 4,
    o: ctx.offset(op.out, op.outOffset), oRow: ctx.rowBytes(op.out),
    residual: op.residual ? { r: { base: 'AR', offset: ctx.offset(op.residual.tensor, op.residual.offset) } as Address, rRow: ctx.rowBytes(op.residual.tensor) } : undefined,
    cin: op.cin, cout: op.cout, cols: dst.cols,
  };
  const part = rows ?? { begin: 0, end: op.cout };
  const f32 = (w: PackedConv): ConvSite => convRows({ ...site, w: w.weight, b: w.bias }, part);
  const quantise = op.int8?.quantise ? quantiseCalls(ctx, op.in, op.int8, rows && codeRows) : [];
  const code = [
    // Split over threads, every thread's codes must be written before any thread's rows read them.
    ...(rows ? [] : quantise),
    ...(part.end <= part.begin ? [] : [
      ...(op.int8 ? qs8ConvCalls(ctx, op.in, site, op.int8, part) : convCalls(ctx, f32(op.weights))),
      ...zeroPads(ctx, op.out, op.outOffset + part.begin, part.end - part.begin),
    ]),
  ];
  const what = `${op.K === 1 ? '1×1 conv' : `${op.K}×1 conv, dilation ${op.dilation}`}${op.int8 ? ', int8' : ''}`;
  const kernel = `${op.int8 ? 'int8 ' : ''}conv ${op.K}×1`;
  return {
    comment: `${op.module}: ${what}, ${op.in} ${shape(src)} ${describeEpilogue(op, op.cout)} (${shape({ ...dst, C: op.cout })})`,
    calls: [
      ...(rows && op.int8?.quantise ? [{ code: quantise, kernel, macs: 0, barrierAfter: true }] : []),
      { code, kernel, macs: op.cout * op.cin * op.K * dst.T * dst.V },
    ],
  };
}
