/**
 * The threaded network (`compile --threads N`, N ≥ 2): the same kernels and the same arithmetic per
 * output element as the single-threaded module, with each op's output rows (channels) split over N
 * threads and a barrier between ops.
 *
 *   thread 0   the host's thread: `network_forward` posts a job (the input's address, a generation
 *              count), runs its own share, then the classifier alone
 *   1 … N−1    workers the host starts once: `thread_main(tid)` waits for a job, runs its share, and
 *              waits again, until `stop_threads`
 *
 * Who does what, per op (every op ends with a barrier; the next op reads what all threads wrote):
 *   conv, CTR-GC conv3/conv4   output rows in blocks of 4 (the packed weights' block), the last
 *                              thread also taking a remainder of fewer than 4; an int8 one (`--int8`)
 *                              that makes its input's activation codes first makes the thread's
 *                              channels of them (groups of 2, or 4 in c4), then a barrier
 *   max-pool, subsample, pool  channels
 *   CTR-GC                     see ops/ctrgc.ts: topology rows and conv3 rows, a barrier, then conv4
 *                              and the aggregation for the thread's own channels
 *   input, person bookkeeping, classifier    thread 0 alone (a few microseconds)
 * Every output element is computed by one thread, by the kernel call the single-threaded module
 * makes, over the same inputs in the same order: the results are bit-identical.
 *
 * The barrier is a generation count: the last thread to arrive bumps it; the others spin on it, and
 * a thread that has spun long enough sleeps in `thread_wait` (on a loaded machine a spinning thread
 * takes the core the thread it waits for needs). On a browser's main thread, which may not block, the
 * host makes thread 0's `thread_wait` return at once, so it spins. Waiting and waking go through the host's `Atomics.wait`/`notify`
 * (THREAD_IMPORTS) rather than wasm's own `memory.atomic.wait32`: Node 20's baseline compiler
 * (Liftoff) loses the caller's locals across a `memory.atomic.wait32` (checked here: a value computed
 * before the wait came back as 0 after it), and an imported call is a plain call to every engine.
 */
import { THREAD_EXPORTS, THREAD_IMPORTS } from 'cocodiff-runtime/shared/abi';
import { roundUp } from '../tensor-layout.ts';
import { CONV_MR } from './kernels/conv.ts';
import { INPUT_KERNEL, PERSON_KERNELS } from './kernels/scalar.ts';
import { arena, type EmitContext, type EmittedOp, type RowRange } from './ops/context.ts';
import { emitConv } from './ops/conv.ts';
import { emitCtrgc } from './ops/ctrgc.ts';
import { emitInput, emitLinear, emitPool } from './ops/ends.ts';
import { emitTimePool } from './ops/time-pool.ts';
import type { NetworkPlan, PlannedInt8, PlannedOp } from './plan.ts';
import { INT8_FORMATS } from '../int8/arithmetic.ts';

/** The most threads a module may be compiled for (the host starts N − 1 workers). */
export const MAX_THREADS = 16;

/**
 * Iterations a worker spins on a barrier or a job before it sleeps: a few tens of microseconds,
 * longer than most waits inside an inference, far shorter than the gap between two inferences.
 */
const SPINS = 20000;

/** Thread t's share of `count` rows in blocks of `block`; the last thread takes the remainder. */
export function threadRows(count: number, threads: number, t: number, block = CONV_MR): RowRange {
  const blocks = Math.floor(count / block);
  const at = (i: number): number => block * Math.floor((blocks * i) / threads);
  return { begin: at(t), end: t === threads - 1 ? count : at(t + 1) };
}

/** Thread t's channels of the activation codes an int8 op makes of its input (`--int8`): whole groups of the format's channels a step. */
function codeRows(ctx: EmitContext, op: { in: string }, q: PlannedInt8 | undefined, threads: number, t: number): RowRange {
  return threadRows(ctx.tensor(op.in).C, threads, t, INT8_FORMATS[q?.format ?? 'c2'].channelsPerStep);
}

/** One thread's share of an op. */
function emitShare(op: PlannedOp, ctx: EmitContext, threads: number, t: number, xmScratch: number): EmittedOp | null {
  switch (op.kind) {
    case 'conv': return emitConv(op, ctx, threadRows(op.cout, threads, t), codeRows(ctx, op, op.int8, threads, t));
    case 'maxpool':
    case 'subsample': return emitTimePool(op, ctx, threadRows(ctx.tensor(op.in).C, threads, t));
    case 'pool': return emitPool(op, ctx, threadRows(ctx.tensor(op.in).C, threads, t));
    case 'ctrgc': return emitCtrgc(op, ctx, {
      topology: threadRows(op.subsets * op.rel, threads, t, 1),
      conv3: threadRows(op.subsets * op.cout, threads, t),
      channels: threadRows(op.cout, threads, t),
      xm: t === 0 ? arena(op.scratch.xm) : `XM_SCRATCH + ${(t - 1) * xmScratch}`,
      codes: codeRows(ctx, op, op.conv3Int8, threads, t),
    });
    case 'input': return t === 0 ? emitInput(op, ctx) : null;
    case 'linear': return t === 0 ? emitLinear(op, ctx) : null;
  }
}

/** The statements of one thread's share of an op: its calls, a barrier after those that ask for one, and one at the end. */
function shareStatements(op: PlannedOp, ctx: EmitContext, threads: number, t: number, xmScratch: number, indent: string): string[] {
  const share = emitShare(op, ctx, threads, t, xmScratch);
  const lines: string[] = [];
  if (share && t === 0) lines.push(`${indent}// ${share.comment}`);
  for (const call of share?.calls ?? []) {
    lines.push(...call.code.map((c) => indent + c));
    if (call.barrierAfter) lines.push(`${indent}barrier();`);
  }
  lines.push(`${indent}barrier();`);
  return lines;
}

export interface ThreadedParts {
  /** Declarations after the single-threaded header: the sync words, the per-thread scratch, the imports. */
  header: string[];
  /** Unit functions l1 … l10 (each with a branch per thread), `barrier`, `network_part`. */
  functions: string[];
  /** `network_forward` and the exported thread functions. */
  forward: string[];
}

/**
 * The threaded module's network: units, the person loop shared by every thread, and the job
 * hand-over. `feature` and `contribBytes` as network.ts computes them.
 */
export function threadedNetwork(plan: NetworkPlan, ctx: EmitContext, threads: number, feature: { offset: number; C: number }, contribBytes: number): ThreadedParts {
  const { C: inC, T: inT, V, M } = plan.input;
  const Vp = roundUp(V, 4);
  const xmScratch = roundUp(Math.max(0, ...plan.ops.map((op) => (op.kind === 'ctrgc' ? op.cin * Vp * 4 : 0))), 64);
  const tids = Array.from({ length: threads }, (_, t) => t);
  /** `if (tid == 0) { … } else if (tid == 1) { … }`, each branch's body at `indent` + 2. */
  const branches = (indent: string, body: (t: number, inner: string) => string[]): string[] => [
    ...tids.flatMap((t) => [`${indent}${t === 0 ? 'if' : '} else if'} (tid == ${t}) {`, ...body(t, `${indent}  `)]),
    `${indent}}`,
  ];
  const units = new Map<string, PlannedOp[]>();
  for (const op of plan.ops) {
    if (op.kind === 'input' || op.kind === 'pool' || op.kind === 'linear') continue;
    if (!units.has(op.layer)) units.set(op.layer, []);
    else if ([...units.keys()].pop() !== op.layer) throw new Error(`codegen: op ${op.module} → ${op.out} is not next to the rest of unit ${op.layer}`);
    units.get(op.layer)!.push(op);
  }
  const unitFunctions = [...units].map(([layer, ops]) => [
    `/** Unit ${layer}, thread tid's share of each op. */`,
    `function unit_${layer}(tid: i32): void {`,
    ...branches('  ', (t, inner) => ops.flatMap((op) => shareStatements(op, ctx, threads, t, xmScratch, inner))),
    `}`,
  ].join('\n'));

  const byKind = (kind: PlannedOp['kind']): PlannedOp => plan.ops.find((op) => op.kind === kind)!;
  const featureBytes = feature.C * 4;
  const persons = ctx.use(PERSON_KERNELS);
  ctx.use(INPUT_KERNEL);
  /** One person, at `indent`: the input (thread 0), the units, the pooling. */
  const onePerson = (indent: string): string[] => [
    `${indent}if (tid == 0) {`,
    ...shareStatements(byKind('input'), ctx, threads, 0, xmScratch, `${indent}  `).slice(0, -1),
    `${indent}}`,
    `${indent}barrier();`,
    ...[...units.keys()].map((l) => `${indent}unit_${l}(tid);`),
    ...branches(indent, (t, inner) => shareStatements(byKind('pool'), ctx, threads, t, xmScratch, inner)),
  ];
  const personLoop = M > 1 ? [
    `  for (let m: usize = 0; m < ${M}; m++) {`,
    `    const empty = ${persons}(input, m, ${inC * inT * V}, ${M});`,
    `    const saved: usize = EMPTY_CONTRIB + m * ${contribBytes};`,
    `    if (empty && load<u8>(EMPTY_READY + m)) {`,
    `      if (tid == 0) memory.copy(CONTRIB, saved, ${featureBytes});`,
    `    } else {`,
    ...onePerson('      '),
    `      if (tid == 0 && empty) {`,
    `        memory.copy(saved, CONTRIB, ${featureBytes});`,
    `        store<u8>(EMPTY_READY + m, 1);`,
    `      }`,
    `    }`,
    `    if (tid == 0) add_contribution(${arena(feature.offset)}, ${feature.C});`,
    `  }`,
  ] : [
    `  const m: usize = 0;`,
    ...onePerson('  '),
    `  if (tid == 0) add_contribution(${arena(feature.offset)}, ${feature.C});`,
  ];

  const header = [
    `// Threads: ${threads} (compile --threads); every op's rows split over them, a barrier between ops (threads.ts).`,
    `const THREADS: i32 = ${threads};`,
    `/** Job: its generation (bumped per inference), stop flag and input address; the barrier's count and generation; sleeping workers. */`,
    `const SYNC: usize = memory.data(192, 64);`,
    `const JOB_GEN: usize = SYNC; const JOB_STOP: usize = SYNC + 4; const JOB_INPUT: usize = SYNC + 8;`,
    `const BAR_COUNT: usize = SYNC + 64; const BAR_GEN: usize = SYNC + 68;`,
    `const WAITERS: usize = SYNC + 128;`,
    `/** The CTR-GC time means of threads 1 … N−1 (thread 0 uses the plan's scratch). */`,
    `const XM_SCRATCH: usize = memory.data(${Math.max(1, (threads - 1) * xmScratch)}, 64);`,
    `@external("env", "${THREAD_IMPORTS.wait}") declare function thread_wait(at: usize, expected: i32): void;`,
    `@external("env", "${THREAD_IMPORTS.notify}") declare function thread_notify(at: usize, count: i32): void;`,
  ];
  const functions = [
    [
      `/** Returns once the i32 at \`at\` is no longer \`old\`: spins, then sleeps (thread 0's host may make that a no-op). */`,
      `function await_change(at: usize, old: i32): void {`,
      `  let spins = 0;`,
      `  while (atomic.load<i32>(at) == old) {`,
      `    if (++spins < ${SPINS}) continue;`,
      `    atomic.add<i32>(WAITERS, 1);`,
      `    thread_wait(at, old);`,
      `    atomic.sub<i32>(WAITERS, 1);`,
      `    spins = 0;`,
      `  }`,
      `}`,
    ].join('\n'),
    [
      `/** Every thread waits here until all ${threads} have arrived. */`,
      `function barrier(): void {`,
      `  const gen = atomic.load<i32>(BAR_GEN);`,
      `  if (atomic.add<i32>(BAR_COUNT, 1) == THREADS - 1) {`,
      `    atomic.store<i32>(BAR_COUNT, 0);`,
      `    atomic.store<i32>(BAR_GEN, gen + 1);`,
      `    if (atomic.load<i32>(WAITERS) > 0) thread_notify(BAR_GEN, THREADS);`,
      `  } else {`,
      `    await_change(BAR_GEN, gen);`,
      `  }`,
      `}`,
    ].join('\n'),
    ...unitFunctions,
    [
      `/** Thread tid's share of one inference: the person loop every thread walks in step. */`,
      `function network_part(tid: i32, input: usize): void {`,
      ...personLoop,
      `}`,
    ].join('\n'),
  ];
  const linear = shareStatements(byKind('linear'), ctx, threads, 0, xmScratch, '  ').slice(0, -1);
  const forward = [
    `export function network_forward(input: usize, logits: usize): void {`,
    `  memory.fill(${arena(feature.offset)}, 0, ${featureBytes});`,
    `  store<usize>(JOB_INPUT, input);`,
    `  atomic.add<i32>(JOB_GEN, 1);`,
    `  if (atomic.load<i32>(WAITERS) > 0) thread_notify(JOB_GEN, THREADS - 1);`,
    `  network_part(0, input);`,
    ...linear,
    `}`,
    ``,
    `/** A worker's loop (tid 1 … ${threads - 1}): each job once, in order, until stop_threads. */`,
    `export function ${THREAD_EXPORTS.threadMain}(tid: i32): void {`,
    `  let seen: i32 = 0;`,
    `  for (;;) {`,
    `    await_change(JOB_GEN, seen);`,
    `    seen++;`,
    `    if (atomic.load<i32>(JOB_STOP)) return;`,
    `    network_part(tid, load<usize>(JOB_INPUT));`,
    `  }`,
    `}`,
    ``,
    `export function ${THREAD_EXPORTS.stopThreads}(): void {`,
    `  atomic.store<i32>(JOB_STOP, 1);`,
    `  atomic.add<i32>(JOB_GEN, 1);`,
    `  thread_notify(JOB_GEN, THREADS);`,
    `}`,
    ``,
    `export function ${THREAD_EXPORTS.numThreads}(): i32 { return THREADS; }`,
  ];
  return { header, functions, forward };
}
