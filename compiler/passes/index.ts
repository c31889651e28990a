/** The pass pipeline, in order; each pass is a pure Graph → Graph that preserves the interpreter's output. */
import type { Graph } from '../ir.ts';
import { foldBatchNorm } from './fold-batchnorm.ts';
import { foldConstants } from './fold-constants.ts';
import { foldDataBn } from './fold-data-bn.ts';
import { fuseEpilogue } from './fuse-epilogue.ts';
import { lowerStrides } from './lower-strides.ts';

export const PASSES: ReadonlyArray<{ name: string; run: (g: Graph) => Graph }> = [
  { name: 'fold-data-bn', run: foldDataBn },
  { name: 'fold-batchnorm', run: foldBatchNorm },
  { name: 'fold-constants', run: foldConstants },
  { name: 'lower-strides', run: lowerStrides },
  { name: 'fuse-epilogue', run: fuseEpilogue },
];

export function runPasses(graph: Graph): Graph {
  return PASSES.reduce((g, p) => p.run(g), graph);
}
