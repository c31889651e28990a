/**
 * What every micro-kernel template shares: the instruction set it is written for, the one
 * instruction that differs between them (the multiply-add), and the epilogue applied in registers
 * before a kernel's single store. Kernel names follow XNNPACK's: datatype, operation, register
 * block, instruction set, then what the epilogue does (`f32_conv1x1_4x2_wasmsimd_residual_relu`).
 */

/** `wasmsimd`: f32x4 mul then add (two roundings). `wasmrelaxedsimd`: f32x4.relaxed_madd (fused where the engine can). */
export type Isa = 'wasmsimd' | 'wasmrelaxedsimd';

export const isaFor = (relaxedSimd: boolean): Isa => (relaxedSimd ? 'wasmrelaxedsimd' : 'wasmsimd');

/** `acc + a·b` as an AssemblyScript expression. */
export const fma = (isa: Isa, acc: string, a: string, b: string): string =>
  isa === 'wasmrelaxedsimd' ? `f32x4.relaxed_madd(${a}, ${b}, ${acc})` : `f32x4.add(${acc}, f32x4.mul(${a}, ${b}))`;

/** What a kernel does to each result before storing it: + residual (loaded from a second tensor), then ReLU. */
export interface EpilogueKind {
  residual: boolean;
  relu: boolean;
}

/** The name suffix that says which epilogue a kernel was specialised for. */
export const epilogueSuffix = (e: EpilogueKind): string => `${e.residual ? '_residual' : ''}${e.relu ? '_relu' : ''}`;

/** The epilogue on one vector: `value` (+ the vector `residual` loads), then ReLU. */
export const epilogue = (value: string, residual: string | undefined, relu: boolean): string => {
  const v = residual === undefined ? value : `f32x4.add(${value}, ${residual})`;
  return relu ? `f32x4.pmax(ZERO, ${v})` : v;
};

/** A micro-kernel: its AssemblyScript function, emitted once per module however many steps call it. */
export interface Kernel {
  name: string;
  source: string;
}
