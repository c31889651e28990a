/**
 * Codegen, stage 2 of 2: the plan (plan.ts) → `network.ts`, the AssemblyScript of one fixed model.
 * One emitter per op kind (ops/) turns each planned op into a comment naming the official module
 * and its shapes, and one call per step of a micro-kernel (kernels/), emitted once however many
 * steps call it. This file only lays them out:
 *
 *   network_forward(input, logits)
 *     per person m: the input step, unit_l1() … unit_l10() (one function per unit), the pooling
 *     (a slot that is all zeros reuses its first result), then the classifier
 *   FEATURE, NUM_FEATURES
 *     where the pooled feature the classifier read stays until the next call (the ABI's feature_ptr)
 *
 * Weights sit at the literal address WB (a data segment the build inserts there), activations in
 * the static arena AR at the plan's offsets. Nothing allocates.
 */
import type { Graph } from '../ir.ts';
import { roundUp } from '../tensor-layout.ts';
import { emitExpandHalves } from '../f16.ts';
import { emitExpandInt8 } from './kernels/qs8-conv.ts';
import { emitExpandWeightCodes } from './kernels/weight-codes.ts';
import { isaFor } from './kernels/isa.ts';
import { PERSON_KERNELS } from './kernels/scalar.ts';
import { TANH4 } from './kernels/tanh.ts';
import { EmitContext, arena, type Call, type EmittedOp } from './ops/context.ts';
import { emitConv } from './ops/conv.ts';
import { emitCtrgc } from './ops/ctrgc.ts';
import { emitInput, emitLinear, emitPool } from './ops/ends.ts';
import { emitTimePool } from './ops/time-pool.ts';
import { planNetwork, type NetworkPlan, type PlannedOp } from './plan.ts';
import { threadedNetwork } from './threads.ts';

/** One call in `network_forward`, as the per-kernel profile groups it. */
export interface Step {
  /** The unit it belongs to: input, l1 … l10, head. */
  layer: string;
  /** The kernel family, e.g. "conv 1×1", "conv 5×1", "ctrgc aggregate". */
  kernel: string;
  /** Multiply-adds of one call. */
  macs: number;
  /** Runs once per person (everything up to the pooling) rather than once per inference. */
  perPerson: boolean;
}

export interface GeneratedNetwork {
  source: string;
  /** What the source was generated from: layouts, arena offsets, packed weight offsets (printable). */
  plan: NetworkPlan;
  /** The packed weights; the kernels read them as f32 at byte address `weightsBase`. */
  weights: Float32Array;
  weightsBase: number;
  /** The runs of `weights` the data segment holds (byte offsets from `weightsBase`): all but those written from codes. */
  storedWeights: Array<{ offset: number; bytes: Uint8Array }>;
  /** The f32 weights stored as int8 codes (`--int8`; empty without), in the segment at `weightCodesBase`. */
  weightCodes: Int8Array;
  weightCodesBase: number;
  /** The int8 convs' weight codes (`--int8`; empty without): in the segment at `int8Base`, expanded at start-up to i16 at QW. */
  int8Weights: Int8Array;
  int8Base: number;
  /** Where the data segment goes: `weightsBase` for f32, after the f32 area for f16 (expanded at start-up). */
  segmentBase: number;
  /** First byte after the weights: asc's --memoryBase, where its own static data starts. */
  memoryBase: number;
  arenaBytes: number;
  /** The calls of `network_forward`, in order; a profiling build times each (`network_profile_ptr`). */
  steps: Step[];
}

export interface CodegenOptions {
  relaxedSimd?: boolean;
  /** The segment holds half floats, expanded into the f32 weight area at instantiation. */
  f16?: boolean;
  /**
   * Profiling build: every step adds its milliseconds to an f64 slot (exported `network_profile_ptr`),
   * read from the host clock `env.now`. Only the benchmark builds it; the shipped ABI imports nothing
   * but `env.abort`.
   */
  profile?: boolean;
  /**
   * Threads the module splits each inference over (threads.ts); 1 or absent: the single-threaded
   * module, unchanged. Not with `profile`.
   */
  threads?: number;
}

/** Where the weights start; below it only the never-used null page corner. */
export const WEIGHTS_BASE = 1024;

const PROFILE_PRELUDE = (steps: number): string => [
  `@external("env", "now") declare function now(): f64;`,
  `const PROFILE: usize = memory.data(${steps * 8}, 8);`,
  `/** Milliseconds spent in each step, summed over every call since instantiation. */`,
  `export function network_profile_ptr(): usize { return PROFILE; }`,
].join('\n');

function emitOp(op: PlannedOp, ctx: EmitContext): EmittedOp {
  switch (op.kind) {
    case 'input': return emitInput(op, ctx);
    case 'conv': return emitConv(op, ctx);
    case 'maxpool':
    case 'subsample': return emitTimePool(op, ctx);
    case 'ctrgc': return emitCtrgc(op, ctx);
    case 'pool': return emitPool(op, ctx);
    case 'linear': return emitLinear(op, ctx);
  }
}

export function generateNetwork(graph: Graph, opts: CodegenOptions = {}): GeneratedNetwork {
  const { plan, weights, storedWeights, weightCodes, int8Weights } = planNetwork(graph);
  if (opts.f16 && int8Weights.length) throw new Error('codegen: f16 weights and int8 convs do not combine');
  const threads = opts.threads ?? 1;
  if (threads > 1 && opts.profile) throw new Error('codegen: a threaded module has no profiling build');
  const ctx = new EmitContext(plan, isaFor(Boolean(opts.relaxedSimd)));
  const { C: inC, T: inT, V, M } = plan.input;

  const steps: Step[] = [];
  /** The statements of one op, indented; in a profiling build each call adds its time to its slot. */
  const statements = (op: PlannedOp, emitted: EmittedOp, indent: string): string[] => [
    `${indent}// ${emitted.comment}`,
    ...emitted.calls.flatMap((call: Call) => {
      const slot = steps.length * 8;
      steps.push({ layer: op.layer, kernel: call.kernel, macs: call.macs, perPerson: op.perPerson });
      return opts.profile
        ? [`${indent}{ const t0 = now(); ${call.code.join(' ')} store<f64>(PROFILE, load<f64>(PROFILE, ${slot}) + (now() - t0), ${slot}); }`]
        : call.code.map((c) => indent + c);
    }),
  ];

  // Units l1 … l10 each become a function; the input, pooling and classifier stay in network_forward.
  const units = new Map<string, string[]>();
  const body = { input: [] as string[], pool: [] as string[], head: [] as string[] };
  const personIndent = M > 1 ? '      ' : '  ';
  // (A threaded module lays its ops out in threads.ts.)
  for (const op of threads > 1 ? [] : plan.ops) {
    const emitted = emitOp(op, ctx);
    if (op.kind === 'input') body.input.push(...statements(op, emitted, personIndent));
    else if (op.kind === 'pool') body.pool.push(...statements(op, emitted, personIndent));
    else if (op.kind === 'linear') body.head.push(...statements(op, emitted, '  '));
    else {
      // A unit's ops are consecutive in the graph, so calling the units in order keeps the op order.
      if (!units.has(op.layer)) units.set(op.layer, []);
      else if ([...units.keys()].pop() !== op.layer) throw new Error(`codegen: op ${op.module} → ${op.out} is not next to the rest of unit ${op.layer}`);
      units.get(op.layer)!.push(...statements(op, emitted, '  '));
    }
  }
  const unitFunctions = [...units].map(([layer, lines]) => [`/** Unit ${layer}. */`, `function unit_${layer}(): void {`, ...lines, `}`].join('\n'));
  const perPerson = [...body.input, ...[...units.keys()].map((l) => `${personIndent}unit_${l}();`), ...body.pool];

  const feature = plan.tensors[plan.feature];
  const featureBytes = feature.C * 4;
  const contribBytes = roundUp(featureBytes, 64);
  const persons = ctx.use(PERSON_KERNELS);
  // A person slot that is all zeros (nobody there: most NTU actions have one actor in two slots)
  // always contributes the same pooled feature, one per slot (the data batch-norm differs by slot).
  // It is computed the first time, by the same code, and reused: bit-identical answers, half the
  // work for a single actor.
  const personLoop = M > 1 ? [
    `  for (let m: usize = 0; m < ${M}; m++) {`,
    `    const empty = ${persons}(input, m, ${inC * inT * V}, ${M});`,
    `    const saved: usize = EMPTY_CONTRIB + m * ${contribBytes};`,
    `    if (empty && load<u8>(EMPTY_READY + m)) {`,
    `      memory.copy(CONTRIB, saved, ${featureBytes});`,
    `    } else {`,
    ...perPerson,
    `      if (empty) {`,
    `        memory.copy(saved, CONTRIB, ${featureBytes});`,
    `        store<u8>(EMPTY_READY + m, 1);`,
    `      }`,
    `    }`,
    `    add_contribution(${arena(feature.offset)}, ${feature.C});`,
    `  }`,
  ] : [
    `  const m: usize = 0;`,
    ...perPerson,
    `  add_contribution(${arena(feature.offset)}, ${feature.C});`,
  ];

  const f32Bytes = weights.length * 4;
  const segmentBase = opts.f16 ? roundUp(WEIGHTS_BASE + f32Bytes, 64) : WEIGHTS_BASE;
  // With int8 convs the segment goes on past the f32 weights with their codes, then the weight codes
  // of the f32 ops; in the c2 format the i16 expansion of the convs' codes follows, in c4 the kernels
  // read them where they are.
  const int8Base = roundUp(WEIGHTS_BASE + f32Bytes, 64);
  const weightCodesBase = roundUp(int8Base + int8Weights.length, 64);
  const segmentEnd = weightCodesBase + weightCodes.length;
  const expand = int8Weights.length > 0 && plan.int8Format === 'c2';
  const int8Read = expand ? roundUp(segmentEnd, 64) : int8Base;
  const memoryBase = opts.f16 ? roundUp(segmentBase + f32Bytes / 2, 64)
    : int8Weights.length || weightCodes.length ? roundUp(expand ? int8Read + 2 * int8Weights.length : segmentEnd, 64) : roundUp(WEIGHTS_BASE + f32Bytes, 64);
  const header = [
    `// Generated by cocodiff compile: the network for one fixed model. Do not edit.`,
    `// ${plan.ops.length} ops ${threads > 1 ? `split over ${threads} threads` : `in ${steps.length} steps`}; weights ${f32Bytes} bytes at WB; activations ${plan.arenaBytes} bytes at AR.`,
    `// Addresses are AR/WB + byte offsets from the plan (cocodiff compile --plan).`,
    `const WB: usize = ${WEIGHTS_BASE};`,
    ...(int8Weights.length ? [`const QW: usize = ${int8Read}; // int8 conv weights${expand ? ' as i16' : ''} (${int8Weights.length} bytes, ${plan.int8Format})`] : []),
    ...(weightCodes.length ? [`const WQ: usize = ${weightCodesBase}; // int8 codes of f32 weights (${weightCodes.length} bytes), written into WB at start-up`] : []),
    `const AR: usize = memory.data(${plan.arenaBytes + 64}, 64);`,
    `const ZERO = f32x4.splat(0);`,
    `/** The pooled feature [NUM_FEATURES] of the last call, the classifier's input (outside the arena's reuse). */`,
    `export const FEATURE: usize = ${arena(feature.offset)};`,
    `export const NUM_FEATURES: i32 = ${feature.C};`,
    `/** One person's share of the pooled feature, and the share of an empty person slot once known. */`,
    `const CONTRIB: usize = memory.data(${contribBytes}, 64);`,
    ...(M > 1 ? [
      `const EMPTY_CONTRIB: usize = memory.data(${M * contribBytes}, 64);`,
      `const EMPTY_READY: usize = memory.data(${M}); // byte m: slot m's empty share is saved`,
    ] : []),
  ];
  const forward = [
    `export function network_forward(input: usize, logits: usize): void {`,
    `  memory.fill(${arena(feature.offset)}, 0, ${featureBytes});`,
    ...personLoop,
    ...body.head,
    `}`,
  ];
  const threaded = threads > 1 ? threadedNetwork(plan, ctx, threads, { offset: feature.offset, C: feature.C }, contribBytes) : undefined;
  const usesTanh = plan.ops.some((op) => op.kind === 'ctrgc');
  const source = [
    header.join('\n'),
    threaded ? threaded.header.join('\n') : '',
    opts.f16 ? emitExpandHalves(segmentBase, WEIGHTS_BASE, weights.length) : '',
    expand ? emitExpandInt8(int8Base, int8Read, int8Weights.length) : '',
    emitExpandWeightCodes(plan.expandedWeights ?? [], 'WQ', 'WB'),
    opts.profile ? PROFILE_PRELUDE(steps.length) : '',
    '// ---- micro-kernels ----',
    usesTanh ? TANH4.trim() : '',
    ...ctx.kernelSources(),
    '// ---- the network ----',
    ...(threaded ? [...threaded.functions, threaded.forward.join('\n')] : [...unitFunctions, forward.join('\n')]),
  ].filter(Boolean).join('\n\n') + '\n';
  return { source, plan, weights, weightsBase: WEIGHTS_BASE, storedWeights, weightCodes, weightCodesBase, int8Weights, int8Base, segmentBase, memoryBase, arenaBytes: plan.arenaBytes, steps };
}
