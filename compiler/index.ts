/**
 * cocodiff's compiler: model artifact → one self-contained SIMD `.wasm` (+ `recognizer.json`).
 *
 *   load (artifact → IR) → passes (fold BN, fold constants, lower strides, fuse epilogues)
 *   → codegen: plan (layouts, memory plan, packed weights) then emit (network.ts + config.ts)
 *   → build (asc + binaryen + weight segment) → emit
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic, writeFilesAtomic } from '../common/atomic.ts';
import { type Artifact } from '../common/artifact.ts';
import { LIMITS } from '../common/limits.ts';
import { OptionError, UserError } from '../common/errors.ts';
import { buildWasm } from './build.ts';
import { ABI_ENTRY, generateAbi } from './codegen/abi.ts';
import { generateConfig } from './codegen/config.ts';
import { generateNetwork, type GeneratedNetwork } from './codegen/network.ts';
import { formatPlan } from './codegen/plan.ts';
import { sidecarPathFor, type CompiledSidecar } from '../common/sidecar.ts';
import { embedSidecar, makeSidecar } from './emit.ts';
import type { Graph } from './ir.ts';
import { loadArtifact } from './load.ts';
import { runPasses } from './passes/index.ts';
import type { DatasetSample, Oracle } from './verify.ts';
import { packF16 } from './f16.ts';

export interface CompileOptions {
  /** Path of the .wasm to write; the sidecar goes next to it as .json. */
  out: string;
  relaxedSimd?: boolean;
  weights?: 'f32' | 'f16';
  /** Keep the AssemblyScript the build compiled in this directory (with plan.json, the codegen plan). */
  emitAs?: string;
  /** Write the codegen plan (tensor layouts, arena offsets, packed weight offsets, ops) as JSON to this file. */
  plan?: string;
  /** Frames the streaming ring keeps (default: the artifact's preprocessing.windowFrames). */
  windowFrames?: number;
  sequenceCapacity?: number;
  /** Check the .wasm against the compiler's interpreter (and `reference`) after building; throws above tolerance. */
  verify?: boolean;
  /** References checked besides the interpreter when `verify` is on (the CLI adds the trainer's tfjs model). */
  oracles?: Oracle[];
  reference?: { input: string; logits: string };
  /** Preprocessed dataset samples `verify` also runs. */
  verifyData?: DatasetSample[];
}

export interface CompileResult {
  wasmPath: string;
  sidecarPath: string;
  wasmBytes: number;
  seconds: number;
}

export interface BuiltModule {
  wasm: Uint8Array;
  sidecar: CompiledSidecar;
  graph: Graph;
  network: GeneratedNetwork;
}

/** Compiles an already-loaded artifact in memory (the CLI, tests and the benchmark share this). */
export async function compileModule(
  artifact: Artifact, graph: Graph,
  opts: Omit<CompileOptions, 'out' | 'verify' | 'oracles' | 'reference' | 'verifyData' | 'plan'> & { profile?: boolean } = {},
): Promise<BuiltModule> {
  const weights = opts.weights ?? 'f32';
  if (weights !== 'f32' && weights !== 'f16') throw new OptionError('weights', `expected f32 or f16, found ${JSON.stringify(weights)}`);
  const windowFrames = opts.windowFrames ?? artifact.model.preprocessing.windowFrames;
  const frameCount = (option: string, n: number): number => {
    if (!Number.isInteger(n) || n < 1 || n > LIMITS.windowFrames) throw new OptionError(option, `expected an integer in 1..${LIMITS.windowFrames}, found ${n}`);
    return n;
  };
  frameCount('windowFrames', windowFrames);
  const sequenceCapacity = frameCount('sequenceCapacity', opts.sequenceCapacity ?? 300);
  const lowered = runPasses(graph);
  const network = generateNetwork(lowered, { relaxedSimd: opts.relaxedSimd, f16: weights === 'f16', profile: opts.profile });
  const sources: Record<string, string> = {
    'network.ts': network.source,
    'config.ts': generateConfig(artifact.model, { windowFrames, sequenceCapacity }),
    ...generateAbi(),
  };
  let entry = ABI_ENTRY;
  if (opts.profile) {
    // The profiling build times every step of the network (it imports the clock env.now).
    sources['profile.ts'] = `export * from './exports';\nexport { network_profile_ptr } from './network';\n`;
    entry = 'profile.ts';
  }
  const segment = weights === 'f16' ? packF16(network.weights) : new Uint8Array(network.weights.buffer, network.weights.byteOffset, network.weights.byteLength);
  const code = await buildWasm({
    sources, entry, memoryBase: network.memoryBase,
    segment: { offset: network.segmentBase, bytes: segment },
    relaxedSimd: opts.relaxedSimd, emitAsDir: opts.emitAs,
  });
  if (opts.emitAs) await writeFileAtomic(join(opts.emitAs, 'plan.json'), formatPlan(network.plan));
  const sidecar = await makeSidecar(artifact, code, { windowFrames, sequenceCapacity, weights, relaxedSimd: Boolean(opts.relaxedSimd) });
  return { wasm: embedSidecar(code, sidecar), sidecar, graph: lowered, network };
}

export async function compileArtifact(artifactDir: string, opts: CompileOptions): Promise<CompileResult> {
  const start = performance.now();
  if (!opts.out || !opts.out.endsWith('.wasm')) throw new OptionError('out', `expected a path ending in .wasm, found ${JSON.stringify(opts.out)}`);
  // Before the build: a directory where the .wasm or its sidecar belongs fails now, not after it.
  for (const path of [opts.out, sidecarPathFor(opts.out)]) {
    if (await stat(path).then((st) => !st.isFile(), () => false)) throw new UserError(`${path}: exists and is not a file; choose another output path`);
  }
  const { artifact, graph } = await loadArtifact(artifactDir);
  const built = await compileModule(artifact, graph, opts);
  const sidecarPath = sidecarPathFor(opts.out);
  if (opts.verify || opts.reference) {
    const { interpreterOracle, verifyModule } = await import('./verify.ts');
    const oracles = opts.verify ? [interpreterOracle(graph), ...(opts.oracles ?? [])] : [];
    await verifyModule(artifact, built.wasm, { oracles, reference: opts.reference, data: opts.verifyData });
  }
  // The pair (and the --plan) is written together: all in full first, then renamed in place back to back. The
  // sidecar's wasmSha256 lets every loader tell if a crash still split them.
  await writeFilesAtomic([
    [sidecarPath, JSON.stringify(built.sidecar, null, 2) + '\n'], [opts.out, built.wasm],
    ...(opts.plan ? [[opts.plan, formatPlan(built.network.plan)] as [string, string]] : []),
  ]);
  return { wasmPath: opts.out, sidecarPath, wasmBytes: built.wasm.length, seconds: (performance.now() - start) / 1000 };
}
