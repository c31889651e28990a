/**
 * Weight-only int8 (`compile --int8`, passes/quantise.ts): the f32 weights of the ops that compute in
 * f32 sit in the data segment as int8 codes with a scale per output channel, and the module writes
 * their f32 values into the weight area once, when it starts (as `--weights f16` expands halves), so
 * the f32 kernels read them as before. Scalar: it runs once, over a few hundred thousand weights.
 */
import type { ExpandedWeights } from '../../pack.ts';

const EXPAND_WEIGHT_CODES = `
/** f32 weights from int8 codes: w[(b·per + j)·lanes + l] = code · scale[b·lanes + l] (lanes: output channels interleaved). */
function expand_weight_codes(codes: usize, scales: usize, dst: usize, blocks: i32, per: i32, lanes: i32): void {
  for (let b = 0; b < blocks; b++) {
    for (let j = 0; j < per; j++) {
      for (let l = 0; l < lanes; l++) {
        const i = <usize>((b * per + j) * lanes + l);
        store<f32>(dst + (i << 2), <f32>load<i8>(codes + i) * load<f32>(scales + (<usize>(b * lanes + l) << 2)));
      }
    }
  }
}`;

/** The fields of one array's row in the table the start-up loop reads, in order (i32 each). */
const ROW = ['codes', 'scales', 'dst', 'blocks', 'per', 'lanes'] as const;

/**
 * The kernel, a table of the arrays (a row each: ROW) and the loop that runs it over them at start-up;
 * `codes` and `weights`: the address expressions of the codes and of the f32 weights. A table rather
 * than a call per array: binaryen specialised each call (the golden CTR-GCN's 52 calls took 6.7 kB of code).
 */
export function emitExpandWeightCodes(expanded: readonly ExpandedWeights[], codes: string, weights: string): string {
  if (expanded.length === 0) return '';
  const field = (name: (typeof ROW)[number]): string => `load<i32>(row, ${ROW.indexOf(name) * 4})`;
  return [
    EXPAND_WEIGHT_CODES.trim(),
    `// --int8: the f32 convs' weights are stored as int8 codes; their f32 values are written once, here.`,
    `// A row per array: ${ROW.join(', ')} (codes from WQ, scales and dst from WB, in bytes).`,
    `const WEIGHT_CODE_ARRAYS: usize = memory.data<i32>([${expanded.flatMap((e) => ROW.map((k) => e[k])).join(', ')}]);`,
    `for (let a: usize = 0; a < ${expanded.length}; a++) {`,
    `  const row = WEIGHT_CODE_ARRAYS + a * ${ROW.length * 4};`,
    `  expand_weight_codes(${codes} + <usize>${field('codes')}, ${weights} + <usize>${field('scales')}, ${weights} + <usize>${field('dst')}, ${field('blocks')}, ${field('per')}, ${field('lanes')});`,
    `}`,
  ].join('\n');
}
