/**
 * AssemblyScript emitters, one per kernel. Every address is `WB`/`AR` plus a literal byte offset and
 * every loop bound is a literal: the generated functions are specialised to one call site, so asc
 * and binaryen see constant trip counts and constant immediate offsets.
 *
 * The matmul micro-kernel (conv) follows XNNPACK's shape: a register block of 4 output channels ×
 * NV vectors of 4 columns, one pass over the input channels (and temporal taps) broadcasting 4
 * packed weights and loading NV input vectors per step, the bias in the accumulators' initial value
 * and the epilogue (residual add, ReLU) applied in registers before the single store.
 */

/** Conv micro-kernel block: 4 output channels × NV vectors (4·NV columns). 4×2 keeps 8 accumulators,
 * 2 inputs and a broadcast weight well inside x86-64's 16 vector registers; 4×3 spilled under V8
 * (full CTR-GCN: 145 ms at 4×3, 102 ms at 4×2 on this machine). */
export const CONV_NV = 2;

export interface Fma {
  /** acc + a·b as an AssemblyScript expression. */
  (acc: string, a: string, b: string): string;
}

/**
 * The IR's epilogue on one vector, in registers before its single store: + residual (the vector
 * `residual` loads, if any), then ReLU.
 */
export const epilogue = (value: string, residual: string | undefined, relu: boolean): string => {
  const v = residual === undefined ? value : `f32x4.add(${value}, ${residual})`;
  return relu ? `f32x4.pmax(ZERO, ${v})` : v;
};

export const fmaFor = (relaxed: boolean): Fma =>
  relaxed ? (acc, a, b) => `f32x4.relaxed_madd(${a}, ${b}, ${acc})` : (acc, a, b) => `f32x4.add(${acc}, f32x4.mul(${a}, ${b}))`;

/** The shape of a conv call site: everything but its addresses, which are the kernel's parameters. */
export interface ConvShape {
  inRowBytes: number;
  /** Byte distance between consecutive temporal taps (dilation · V · 4); 0 for a 1×1 conv. */
  tapBytes: number;
  K: number;
  cin: number;
  cout: number;
  /** Columns computed (multiple of 4). */
  cols: number;
  outRowBytes: number;
  /** Row stride of the residual added before the store, if any; 0 adds one row to every output channel. */
  resRowBytes?: number;
  relu: boolean;
}

export const convKey = (s: ConvShape): string =>
  `conv_k${s.K}_t${s.tapBytes}_i${s.cin}x${s.inRowBytes}_o${s.cout}x${s.outRowBytes}_c${s.cols}${s.resRowBytes === undefined ? '' : `_r${s.resRowBytes}`}${s.relu ? '_relu' : ''}`;

/**
 * `function name(x, o, r, w, b)`: a conv (a 1×1 matmul when K = 1) over `cols` contiguous columns.
 * x: input column 0 of tap 0; o: output row 0 column 0; r: residual row 0 (unused without one);
 * w: packed weights; b: bias. Call sites of the same shape share the function.
 */
export function emitConv(name: string, s: ConvShape, fma: Fma): string {
  const lines: string[] = [];
  const full = Math.floor(s.cout / 4);
  const restRows = s.cout % 4;
  const vecs = s.cols / 4;
  const mainVecs = Math.floor(vecs / CONV_NV) * CONV_NV;
  const blockWBytes = s.cin * s.K * 16;

  const block = (rows: number, nv: number, colStartBytes: number, colEndBytes: number): string[] => {
    const out: string[] = [];
    const acc = (r: number, j: number) => `a${r}_${j}`;
    out.push(`    for (let col: usize = ${colStartBytes}; col < ${colEndBytes}; col += ${nv * 16}) {`);
    for (let r = 0; r < rows; r++) for (let j = 0; j < nv; j++) out.push(`      let ${acc(r, j)} = b${r};`);
    out.push(`      let xp: usize = x + col;`);
    out.push(`      let wp: usize = wblock;`);
    out.push(`      for (let ci = 0; ci < ${s.cin}; ci++) {`);
    const tap = (k: number): string[] => {
      const t: string[] = [];
      const off = s.K > 3 ? 0 : k * s.tapBytes;
      for (let j = 0; j < nv; j++) t.push(`        const x${j} = v128.load(xp, ${off + j * 16});`);
      for (let r = 0; r < rows; r++) {
        t.push(`        const w${r} = v128.load32_splat(wp, ${s.K > 3 ? r * 4 : (k * 4 + r) * 4});`);
        for (let j = 0; j < nv; j++) t.push(`        ${acc(r, j)} = ${fma(acc(r, j), `w${r}`, `x${j}`)};`);
      }
      return t;
    };
    if (s.K > 3) {
      // Long temporal kernels loop over their taps (one tap's code, not K copies: compile time and i-cache).
      out.push(`      for (let k = 0; k < ${s.K}; k++) {`);
      out.push(...tap(0).map((l) => '  ' + l));
      out.push(`          xp += ${s.tapBytes};`);
      out.push(`          wp += 16;`);
      out.push(`      }`);
      out.push(`        xp += ${s.inRowBytes - s.K * s.tapBytes};`);
    } else {
      for (let k = 0; k < s.K; k++) out.push(`        {`, ...tap(k), `        }`);
      out.push(`        xp += ${s.inRowBytes};`);
      out.push(`        wp += ${s.K * 16};`);
    }
    out.push(`      }`);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < nv; j++) {
        const res = s.resRowBytes === undefined ? undefined : `v128.load(r + (cb * 4 + ${r}) * ${s.resRowBytes} + col, ${j * 16})`;
        const v = epilogue(acc(r, j), res, s.relu);
        out.push(`      v128.store(o + (cb * 4 + ${r}) * ${s.outRowBytes} + col, ${v}, ${j * 16});`);
      }
    }
    out.push(`    }`);
    return out;
  };
  const channelBlock = (rows: number): string[] => {
    const out: string[] = [];
    out.push(`    const wblock: usize = w + cb * ${blockWBytes};`);
    for (let r = 0; r < rows; r++) out.push(`    const b${r} = v128.load32_splat(b + cb * 16, ${r * 4});`);
    if (mainVecs > 0) out.push(...block(rows, CONV_NV, 0, mainVecs * 16));
    if (vecs > mainVecs) out.push(...block(rows, 1, mainVecs * 16, vecs * 16));
    return out;
  };

  lines.push(`function ${name}(x: usize, o: usize, r: usize, w: usize, b: usize): void {`);
  if (full > 0) {
    lines.push(`  for (let cb: usize = 0; cb < ${full}; cb++) {`);
    lines.push(...channelBlock(4));
    lines.push(`  }`);
  }
  if (restRows > 0) {
    lines.push(`  {`);
    lines.push(`    const cb: usize = ${full};`);
    lines.push(...channelBlock(restRows));
    lines.push(`  }`);
  }
  lines.push(`}`);
  return lines.join('\n');
}

/** Zeroes the time padding (before and after the T·V values) of rows [c0, c0 + n) of a padded tensor. */
export function emitZeroPads(base: number, c0: number, n: number, rowBytes: number, padBytes: number, dataBytes: number): string {
  if (padBytes === 0) return '';
  return [
    `  for (let c: usize = ${c0}; c < ${c0 + n}; c++) {`,
    `    memory.fill(AR + ${base} + c * ${rowBytes}, 0, ${padBytes});`,
    `    memory.fill(AR + ${base} + c * ${rowBytes} + ${padBytes + dataBytes}, 0, ${padBytes});`,
    `  }`,
  ].join('\n');
}
