import type { Command } from 'commander';

interface CommandModule {
  register(program: Command): void;
}

/**
 * Every subcommand, in the order `--help` lists them, with a one-line summary for that list.
 * A module is imported only when its command runs: the trainer pulls in tfjs and the compiler
 * pulls in asc and binaryen, which `cocodiff inspect` should not wait for.
 */
export const COMMANDS: ReadonlyArray<{ name: string; summary: string; load: () => Promise<CommandModule> }> = [
  { name: 'demo', summary: 'synthetic data → train (CoCoDiff with --cocodiff) → compile → stream recognition, end to end', load: () => import('./demo.ts') },
  { name: 'synth', summary: 'generate the synthetic NTU-25 dataset as a dataset cache', load: () => import('./synth.ts') },
  { name: 'prepare', summary: 'convert NTU RGB+D .skeleton, CTR-GCN .npz or Kinetics-Skeleton into a dataset cache', load: () => import('./prepare.ts') },
  { name: 'inspect', summary: 'show what a skeleton file, .npy array or dataset cache holds', load: () => import('./inspect.ts') },
  { name: 'baseline', summary: 'nearest-centroid accuracy on raw joints: the figure a model must beat', load: () => import('./baseline.ts') },
  { name: 'model-info', summary: 'parameter count and multiply-adds of a CTR-GCN configuration', load: () => import('./model-info.ts') },
  { name: 'import-ctrgcn', summary: "import weights trained by the official CTR-GCN code as a model artifact", load: () => import('./import-ctrgcn.ts') },
  { name: 'forward', summary: 'run the network alone on a raw float32 tensor and print the logits', load: () => import('./forward.ts') },
  { name: 'train', summary: 'train CTR-GCN (optionally with CoCoDiff) on a dataset cache', load: () => import('./train.ts') },
  { name: 'eval', summary: 'top-1, top-5, per-class accuracy and confusion matrix of runs or artifacts (ensembles too)', load: () => import('./eval.ts') },
  { name: 'compare', summary: 'pair two evaluations of the same samples: B − A with its 95 % CI, McNemar\'s exact test, per class', load: () => import('./compare.ts') },
  { name: 'export', summary: "write a run's model artifact (inference weights only)", load: () => import('./export.ts') },
  { name: 'cv', summary: "leave-one-subject-out cross-validation: a model per held-out subject, each fold's test top-1 and their mean with a 95 % CI", load: () => import('./cv.ts') },
  { name: 'ablate', summary: "CoCoDiff's ablation: each variant over several seeds, as a table", load: () => import('./ablate.ts') },
  { name: 'text', summary: 'check, import and embed class descriptions', load: () => import('./text.ts') },
  { name: 'compile', summary: 'compile a model artifact into one self-contained SIMD recognizer .wasm', load: () => import('./compile.ts') },
  { name: 'export-onnx', summary: "export a model artifact's network as a standard ONNX model (for onnxruntime and other ONNX tools)", load: () => import('./export-onnx.ts') },
  { name: 'bench', summary: 'latency of the .wasm against tfjs wasm and cpu, onnxruntime-web and a micro-kernel, per layer and kernel, streaming figures', load: () => import('./bench.ts') },
  { name: 'bench-train', summary: 'training samples/s of synth-quick and the full CTR-GCN on every tfjs backend present (wasm, webgpu, …)', load: () => import('./bench-train.ts') },
  { name: 'run', summary: 'classify a whole recording with a recognizer .wasm', load: () => import('./run.ts') },
  { name: 'stream', summary: 'replay a recording (or NDJSON frames on stdin) as a live stream', load: () => import('./stream.ts') },
  { name: 'learn', summary: 'teach a recognizer a new gesture from a few recordings (saved as a learned.json for run, stream and apps)', load: () => import('./learn.ts') },
  { name: 'video', summary: 'find the person in each frame of a video (ffmpeg + BlazePose): COCO-17 keypoints for stream, or the action timeline of a recognizer', load: () => import('./video.ts') },
];

/**
 * Registers the command named on the command line with all its options; with no known command
 * (`cocodiff`, `cocodiff --help`), lists every command by its summary without loading any.
 */
export async function registerCommands(program: Command, argv: readonly string[]): Promise<void> {
  const words = argv.filter((a) => !a.startsWith('-'));
  const wanted = words[0] === 'help' ? words[1] : words[0];
  const chosen = COMMANDS.find((c) => c.name === wanted);
  if (chosen) {
    (await chosen.load()).register(program);
    return;
  }
  for (const c of COMMANDS) program.command(c.name).description(c.summary);
}
