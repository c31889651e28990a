/**
 * cocodiff's compiler: model artifact → one self-contained SIMD `.wasm` (+ `recognizer.json`).
 *
 *   load (artifact → IR) → passes (fold BN, fold constants, lower strides, fuse epilogues)
 *   → codegen: plan (layouts, memory plan, packed weights) then emit (network.ts + config.ts)
 *   → build (asc + binaryen + weight segment) → emit
 */
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { writeDirAtomic, writeFilesAtomic } from '../common/atomic.ts';
import { checkOutputDir, isWithin, type OutputOptions } from '../common/output-dir.ts';
import { checkOutputFiles, jsonKind, RECOGNIZER_SIDECAR, RECOGNIZER_WASM, type FileKind } from '../common/output-file.ts';
import { type Artifact } from '../common/artifact.ts';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { OptionError } from 'cocodiff-runtime/shared/errors';
import { buildWasm, importedMemoryPages } from './build.ts';
import { ABI_ENTRY, generateAbi } from './codegen/abi.ts';
import { generateConfig } from './codegen/config.ts';
import { generateNetwork, type GeneratedNetwork } from './codegen/network.ts';
import { MAX_THREADS } from './codegen/threads.ts';
import { THREAD_EXPORTS } from 'cocodiff-runtime/shared/abi';
import { formatPlan, PLAN_FORMAT } from './codegen/plan.ts';
import { sidecarPathFor, type CompiledSidecar } from 'cocodiff-runtime/shared/sidecar';
import { embedSidecar, makeSidecar } from './emit.ts';
import type { Graph } from './ir.ts';
import { loadArtifact } from './load.ts';
import { runPasses } from './passes/index.ts';
import type { DatasetSample, Oracle } from './verify.ts';
import { packF16 } from './f16.ts';
import { calibrate, type CalibrationMethod } from './int8/calibrate.ts';
import { quantise, INT8_F32_OPS, INT8_F32_OPS_WEIGHT_CODES, type TensorRanges } from './passes/quantise.ts';
import type { Int8Format } from './int8/arithmetic.ts';

export interface CompileOptions {
  /** Path of the .wasm to write; the sidecar goes next to it as .json. */
  out: string;
  relaxedSimd?: boolean;
  weights?: 'f32' | 'f16';
  /**
   * Run the convolutions in int8 (passes/quantise.ts), with activation ranges calibrated by `method` on
   * these preprocessed [C][T][V][M] inputs (int8/calibrate.ts).
   */
  int8?: {
    inputs: Float32Array[]; method: CalibrationMethod;
    /** The ranges calibration chose, when already known (the benchmark builds several int8 variants of one calibration). */
    ranges?: TensorRanges;
    /**
     * Keep the weights of the ops that compute in f32 (CTR-GC topology, the classifier, ...) in f32;
     * by default they are stored as int8 codes too (weight-only, passes/quantise.ts).
     */
    f32Weights?: boolean;
  };
  /**
   * Split each inference over this many threads (codegen/threads.ts): a module with a shared, imported
   * memory whose host starts threads − 1 workers. 1 (the default): the single-threaded, import-free module.
   */
  threads?: number;
  /**
   * Keep the AssemblyScript the build compiled in this directory (with plan.json, the codegen plan).
   * A new or empty directory, or the sources of an earlier compile, which are replaced.
   */
  emitAs?: string;
  /** Write the codegen plan (tensor layouts, arena offsets, packed weight offsets, ops) as JSON to this file. */
  plan?: string;
  /**
   * Replace files at `out`, its sidecar and `plan` that are not an earlier compile's output of the
   * same kind (the CLI's --force); without it they are refused (common/output-file.ts).
   */
  force?: boolean;
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
  opts: Omit<CompileOptions, 'out' | 'verify' | 'oracles' | 'reference' | 'verifyData' | 'plan' | 'force'> & { profile?: boolean } = {},
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
  if (opts.int8 && weights === 'f16') throw new OptionError('weights', 'f16 weights do not combine with int8 (the int8 convs hold 8-bit weights already)');
  if (opts.int8 && opts.int8.inputs.length === 0) throw new OptionError('int8', 'expected at least one calibration input, found none');
  const threads = opts.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) throw new OptionError('threads', `expected an integer in 1..${MAX_THREADS}, found ${threads}`);
  if (threads > 1 && opts.profile) throw new Error('compileModule: the profiling build is single-threaded');
  // The relaxed-SIMD build multiplies with i16x8.relaxed_dot_i8x16_i7x16_s, on 7-bit activation codes (int8/arithmetic.ts).
  const lowered = opts.int8 ? int8Graph(graph, opts.int8, opts.relaxedSimd ? 'c4' : 'c2') : runPasses(graph);
  const network = generateNetwork(lowered, { relaxedSimd: opts.relaxedSimd, f16: weights === 'f16', profile: opts.profile, threads });
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
  if (threads > 1) {
    // The threaded module also exports its workers' entry points (THREAD_EXPORTS).
    sources['threaded.ts'] = `export * from './exports';\nexport { ${Object.values(THREAD_EXPORTS).join(', ')} } from './network';\n`;
    entry = 'threaded.ts';
  }
  const segments = weights === 'f16' ? [{ offset: network.segmentBase, bytes: packF16(network.weights) }] : weightSegments(network);
  const build = (emitAsDir?: string) => buildWasm({
    sources, entry, memoryBase: network.memoryBase, segments,
    relaxedSimd: opts.relaxedSimd, threads: threads > 1, emitAsDir,
  });
  let code: Uint8Array | undefined;
  if (opts.emitAs) {
    // The sources are swapped in as one directory: a failed build leaves the earlier ones in place.
    await writeDirAtomic(opts.emitAs, async (dir) => {
      code = await build(dir);
      await writeFile(join(dir, 'plan.json'), formatPlan(network.plan));
    }, emitAsOutput(artifact.dir));
  }
  code ??= await build();
  const int8 = opts.int8 ? {
    calibration: opts.int8.method, samples: opts.int8.inputs.length,
    ops: lowered.ops.filter((op) => (op.kind === 'conv' && op.quant) || (op.kind === 'ctrgc' && op.conv3Quant)).length,
    f32Ops: opts.int8.f32Weights ? INT8_F32_OPS : INT8_F32_OPS_WEIGHT_CODES,
  } : undefined;
  const threadsInfo = threads > 1 ? { count: threads, memoryPages: importedMemoryPages(code)! } : undefined;
  const sidecar = await makeSidecar(artifact, code, { windowFrames, sequenceCapacity, weights, relaxedSimd: Boolean(opts.relaxedSimd), int8, threads: threadsInfo });
  return { wasm: embedSidecar(code, sidecar), sidecar, graph: lowered, network };
}

/**
 * The lowered graph an int8 module is generated from: the f32 passes, then the quantise pass with the
 * ranges calibration chose. `export-onnx --int8` reads its codes and scales from here too, so the QDQ
 * model and the .wasm cannot disagree on them.
 */
export function int8Graph(graph: Graph, int8: NonNullable<CompileOptions['int8']>, format: Int8Format): Graph {
  const f32 = runPasses(graph);
  return quantise(f32, int8.ranges ?? calibrate(f32, int8.inputs, int8.method), format, { f32Weights: int8.f32Weights });
}

/**
 * The data segments: the f32 weights at WB (one segment, or with weight-only int8 one per run between
 * the arrays written from codes at start-up) and, with int8, one more at the network's int8Base: the
 * int8 convs' codes, then the weight codes at weightCodesBase.
 */
function weightSegments(network: GeneratedNetwork): Array<{ offset: number; bytes: Uint8Array }> {
  const f32 = network.storedWeights.map((r) => ({ offset: network.weightsBase + r.offset, bytes: r.bytes }));
  const { int8Weights, weightCodes } = network;
  if (int8Weights.length === 0 && weightCodes.length === 0) return f32;
  const codesAt = network.weightCodesBase - network.int8Base;
  const out = new Uint8Array(codesAt + weightCodes.length);
  out.set(new Uint8Array(int8Weights.buffer, int8Weights.byteOffset, int8Weights.length));
  out.set(new Uint8Array(weightCodes.buffer, weightCodes.byteOffset, weightCodes.length), codesAt);
  return [...f32, { offset: network.int8Base, bytes: out }];
}

/**
 * The `emitAs` directory: generated again from the artifact on every compile, so an earlier
 * compile's sources are replaced without being asked; a folder holding anything else is refused.
 */
function emitAsOutput(artifactDir: string): OutputOptions {
  return { kind: 'AssemblyScript sources', force: true, inputs: [artifactDir] };
}

const PLAN_FILE: FileKind = jsonKind('codegen plan', PLAN_FORMAT);

/** The files compileArtifact writes, each with its kind; two outputs at one path are refused. */
function outputFiles(opts: CompileOptions): Array<[string, FileKind]> {
  if (!opts.out || !opts.out.endsWith('.wasm')) throw new OptionError('out', `expected a path ending in .wasm, found ${JSON.stringify(opts.out)}`);
  const files: Array<[string, FileKind]> = [[opts.out, RECOGNIZER_WASM], [sidecarPathFor(opts.out), RECOGNIZER_SIDECAR]];
  if (opts.plan) files.push([opts.plan, PLAN_FILE]);
  const seen = new Map<string, string>();
  for (const [path, kind] of files) {
    const other = seen.get(resolve(path));
    if (other) throw new OptionError('plan', `${path} is also where the ${other} goes; choose another path`);
    seen.set(resolve(path), kind.name);
    // The sources folder is replaced whole by the next compile, which would refuse it for holding this file.
    if (opts.emitAs && isWithin(resolve(path), resolve(opts.emitAs))) {
      throw new OptionError('emitAs', `${opts.emitAs} holds the generated sources alone, not the ${kind.name} ${path}; choose another folder or path`);
    }
  }
  return files;
}

export async function compileArtifact(artifactDir: string, opts: CompileOptions): Promise<CompileResult> {
  const start = performance.now();
  const files = outputFiles(opts);
  // Before the build, so that a refused output fails now, not after it; and again before writing.
  await checkOutputFiles(files, opts.force);
  if (opts.emitAs) await checkOutputDir(opts.emitAs, emitAsOutput(artifactDir));
  const { artifact, graph } = await loadArtifact(artifactDir);
  const built = await compileModule(artifact, graph, opts);
  const sidecarPath = sidecarPathFor(opts.out);
  if (opts.verify || opts.reference) {
    const { interpreterOracle, verifyModule } = await import('./verify.ts');
    // An int8 module is checked against the interpreter running the same int8 arithmetic (the quantised graph).
    const oracles = !opts.verify ? [] : opts.int8 ? [interpreterOracle(built.graph, 'interpreter (int8)')] : [interpreterOracle(graph), ...(opts.oracles ?? [])];
    await verifyModule(artifact, built.wasm, { oracles, reference: opts.reference, data: opts.verifyData });
  }
  // The pair (and the --plan) is written together: all in full first, then renamed in place back to back. The
  // sidecar's wasmSha256 lets every loader tell if a crash still split them.
  await checkOutputFiles(files, opts.force);
  await writeFilesAtomic([
    [sidecarPath, JSON.stringify(built.sidecar, null, 2) + '\n'], [opts.out, built.wasm],
    ...(opts.plan ? [[opts.plan, formatPlan(built.network.plan)] as [string, string]] : []),
  ]);
  return { wasmPath: opts.out, sidecarPath, wasmBytes: built.wasm.length, seconds: (performance.now() - start) / 1000 };
}
