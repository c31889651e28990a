/**
 * A plain TypeScript interpreter of the IR, at any stage of lowering: the reference every pass and
 * the generated .wasm are checked against. Straightforward loops, double-precision accumulation,
 * float32 storage (as the kernels store), no layout tricks.
 */
import { dequantiseWeights, fakeQuantise } from './int8/arithmetic.ts';
import { BN_EPS, type AddOp, type BatchNormOp, type ConcatOp, type ConvOp, type CtrgcOp, type EpilogueOp, type Graph, type InputOp, type LinearOp, type MaxPoolOp, type Op, type OpKind, type PoolOp, type ReluOp, type SubsampleOp, type TensorInfo } from './ir.ts';

/**
 * Runs the network on one [C][T][V][M] input; returns the logits. `observe` sees every tensor of a
 * person once that person's ops have run (calibration reads activation ranges through it). Ops the
 * quantise pass marked int8 compute on int8 codes, as the .wasm does (int8/arithmetic.ts).
 */
export function interpret(graph: Graph, input: Float32Array, observe?: (tensors: ReadonlyMap<string, Float32Array>) => void): Float32Array {
  const { C, T, V, M } = graph.input;
  if (input.length !== C * T * V * M) throw new Error(`interpret: input has ${input.length} values, expected ${C * T * V * M}`);
  const poolAt = graph.ops.findIndex((op) => op.kind === 'pool');
  const perPerson = graph.ops.slice(0, poolAt + 1);
  const after = graph.ops.slice(poolAt + 1);
  const shared = new Map<string, Float32Array>();
  for (let m = 0; m < M; m++) {
    const env = new Map<string, Float32Array>(shared);
    for (const op of perPerson) run({ graph, env, input, person: m }, op);
    observe?.(env);
    shared.set('feature', env.get('feature')!);
  }
  for (const op of after) run({ graph, env: shared, input, person: 0 }, op);
  return shared.get(graph.output)!;
}

/** What an op's evaluator works on: the graph, one person's tensors by name (plus those shared after `pool`), the network input. */
interface Scope {
  graph: Graph;
  env: Map<string, Float32Array>;
  input: Float32Array;
  person: number;
}

const info = (s: Scope, name: string): TensorInfo => s.graph.tensors.get(name)!;

function read(s: Scope, name: string): Float32Array {
  const t = s.env.get(name);
  if (!t) throw new Error(`interpret: tensor ${name} read before it was written`);
  return t;
}

/** The tensor an op writes. Fused concats write several ops into one tensor, so it is created on first write. */
function write(s: Scope, name: string): Float32Array {
  let t = s.env.get(name);
  if (!t) {
    const i = info(s, name);
    t = new Float32Array(i.C * i.T * i.V);
    s.env.set(name, t);
  }
  return t;
}

type Evaluator<K extends OpKind> = (op: Extract<Op, { kind: K }>, s: Scope) => void;

/** One evaluator per op kind of the IR: the mapped type makes a kind without one a type error, not a silently skipped op. */
export type Evaluators = { [K in OpKind]: Evaluator<K> };

function run(s: Scope, op: Op): void {
  // TypeScript cannot relate `op.kind` to the evaluator it selects; the table's type does.
  (EVALUATORS[op.kind] as Evaluator<OpKind>)(op, s);
}

function evalInput(op: InputOp, s: Scope): void {
  const { C, T, V, M } = s.graph.input;
  const y = write(s, op.out);
  const affine = op.scale && op.shift ? { scale: op.scale, shift: op.shift } : op.bn ? bnAffineF64(op.bn) : undefined;
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < T; t++) {
      for (let v = 0; v < V; v++) {
        let x = s.input[((c * T + t) * V + v) * M + s.person];
        if (affine) {
          const ch = (s.person * V + v) * C + c;
          x = x * affine.scale[ch] + affine.shift[ch];
        }
        y[(c * T + t) * V + v] = x;
      }
    }
  }
}

function evalConv(op: ConvOp, s: Scope): void {
  const x = op.quant ? fakeQuantise(read(s, op.in), op.quant) : read(s, op.in);
  const weight = op.quant ? dequantiseWeights(op.quant) : op.weight;
  const src = info(s, op.in);
  const V = src.V;
  const T = info(s, op.out).T;
  // Loops ordered so the innermost runs along contiguous joints; each output still sums its
  // terms in the order bias, then ci, then k (the same double-precision result as one sum per output).
  const acc = new Float64Array(op.cout * T * V);
  for (let co = 0; co < op.cout; co++) {
    const row = acc.subarray(co * T * V, (co + 1) * T * V);
    row.fill(op.bias[co]);
    for (let ci = 0; ci < op.cin; ci++) {
      for (let k = 0; k < op.K; k++) {
        const w = weight[(co * op.cin + ci) * op.K + k];
        for (let t = 0; t < T; t++) {
          const ts = t * op.stride + k * op.dilation - op.pad;
          if (ts < 0 || ts >= src.T) continue;
          const from = (ci * src.T + ts) * V;
          for (let v = 0; v < V; v++) row[t * V + v] += w * x[from + v];
        }
      }
    }
  }
  epilogue(s, op, acc, op.cout);
}

function evalBatchNorm(op: BatchNormOp, s: Scope): void {
  const x = read(s, op.in);
  const y = write(s, op.out);
  const { C, T, V } = info(s, op.in);
  for (let c = 0; c < C; c++) {
    const inv = 1 / Math.sqrt(op.bn.variance[c] + BN_EPS);
    for (let i = 0; i < T * V; i++) {
      y[c * T * V + i] = (x[c * T * V + i] - op.bn.mean[c]) * inv * op.bn.gamma[c] + op.bn.beta[c];
    }
  }
}

function evalRelu(op: ReluOp, s: Scope): void {
  const x = read(s, op.in);
  const y = write(s, op.out);
  for (let i = 0; i < x.length; i++) y[i] = Math.max(x[i], 0);
}

function evalAdd(op: AddOp, s: Scope): void {
  const a = read(s, op.a);
  const b = read(s, op.b);
  const y = write(s, op.out);
  for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
}

function evalConcat(op: ConcatOp, s: Scope): void {
  const y = write(s, op.out);
  let offset = 0;
  for (const name of op.ins) {
    const x = read(s, name);
    y.set(x, offset);
    offset += x.length;
  }
}

function evalMaxPool(op: MaxPoolOp, s: Scope): void {
  const x = read(s, op.in);
  const src = info(s, op.in);
  const { C } = src;
  const T = info(s, op.out).T;
  const value = new Float64Array(C * T * src.V);
  for (let c = 0; c < C; c++) {
    for (let t = 0; t < T; t++) {
      for (let v = 0; v < src.V; v++) {
        let best = -Infinity;
        for (let k = -1; k <= 1; k++) {
          const ts = t * op.stride + k;
          if (ts >= 0 && ts < src.T) best = Math.max(best, x[(c * src.T + ts) * src.V + v]);
        }
        value[(c * T + t) * src.V + v] = op.scale && op.shift ? best * op.scale[c] + op.shift[c] : best;
      }
    }
  }
  epilogue(s, op, value, C);
}

function evalSubsample(op: SubsampleOp, s: Scope): void {
  const x = read(s, op.in);
  const src = info(s, op.in);
  const T = info(s, op.out).T;
  const value = new Float64Array(src.C * T * src.V);
  for (let c = 0; c < src.C; c++) {
    for (let t = 0; t < T; t++) {
      for (let v = 0; v < src.V; v++) value[(c * T + t) * src.V + v] = x[(c * src.T + t * op.stride) * src.V + v];
    }
  }
  epilogue(s, op, value, src.C);
}

function evalCtrgc(op: CtrgcOp, s: Scope): void {
  const x = read(s, op.in);
  const { T, V } = info(s, op.in);
  const { cin, cout, rel } = op;
  const S = T * V;
  const sum = new Float64Array(cout * S);
  // conv3 alone runs in int8 (passes/quantise.ts says why): its input as codes, its weights [s·Cout][Cin].
  const x3In = op.conv3Quant ? fakeQuantise(x, op.conv3Quant) : x;
  const w3All = op.conv3Quant ? dequantiseWeights(op.conv3Quant) : undefined;
  for (const [si, sub] of op.subsets.entries()) {
    const w3 = w3All ? w3All.subarray(si * cout * cin, (si + 1) * cout * cin) : sub.w3;
    const mean = new Float64Array(cin * V);
    for (let ci = 0; ci < cin; ci++) {
      for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) mean[ci * V + v] += x[ci * S + t * V + v];
      for (let v = 0; v < V; v++) mean[ci * V + v] /= T;
    }
    const proj = (w: Float32Array, b: Float32Array): Float64Array => {
      const y = new Float64Array(rel * V);
      for (let r = 0; r < rel; r++) {
        for (let v = 0; v < V; v++) {
          let acc = b[r];
          for (let ci = 0; ci < cin; ci++) acc += w[r * cin + ci] * mean[ci * V + v];
          y[r * V + v] = acc;
        }
      }
      return y;
    };
    const x1 = proj(sub.w1, sub.b1);
    const x2 = proj(sub.w2, sub.b2);
    const rel3 = new Float64Array(rel * V * V); // tanh(x1[u] − x2[v])
    for (let r = 0; r < rel; r++) {
      for (let u = 0; u < V; u++) for (let v = 0; v < V; v++) rel3[(r * V + u) * V + v] = Math.tanh(x1[r * V + u] - x2[r * V + v]);
    }
    const A = new Float64Array(V * V);
    const x3 = new Float64Array(S);
    for (let c = 0; c < cout; c++) {
      for (let uv = 0; uv < V * V; uv++) {
        let acc = sub.b4[c];
        for (let r = 0; r < rel; r++) acc += sub.w4[c * rel + r] * rel3[r * V * V + uv];
        A[uv] = acc * op.alpha + sub.pa[uv];
      }
      // Along contiguous positions; each x3[i] still sums b3, then ci in order.
      x3.fill(sub.b3[c]);
      for (let ci = 0; ci < cin; ci++) {
        const w = w3[c * cin + ci];
        for (let i = 0; i < S; i++) x3[i] += w * x3In[ci * S + i];
      }
      for (let t = 0; t < T; t++) {
        for (let u = 0; u < V; u++) {
          let acc = 0;
          for (let v = 0; v < V; v++) acc += A[u * V + v] * x3[t * V + v];
          sum[c * S + t * V + u] += acc;
        }
      }
    }
  }
  for (let c = 0; c < cout; c++) for (let i = 0; i < S; i++) sum[c * S + i] += op.bias[c];
  epilogue(s, op, sum, cout);
}

function evalPool(op: PoolOp, s: Scope): void {
  const x = read(s, op.in);
  const { C, T, V } = info(s, op.in);
  const { M } = s.graph.input;
  const y = write(s, op.out);
  for (let c = 0; c < C; c++) {
    let acc = 0;
    for (let i = 0; i < T * V; i++) acc += x[c * T * V + i];
    y[c] += acc / (T * V) / M;
  }
}

function evalLinear(op: LinearOp, s: Scope): void {
  const x = read(s, op.in);
  const y = write(s, op.out);
  const K = op.bias.length;
  const Cn = x.length;
  for (let k = 0; k < K; k++) {
    let acc = op.bias[k];
    for (let c = 0; c < Cn; c++) acc += op.weight[k * Cn + c] * x[c];
    y[k] = acc;
  }
}

export const EVALUATORS: Evaluators = {
  input: evalInput,
  conv: evalConv,
  bn: evalBatchNorm,
  relu: evalRelu,
  add: evalAdd,
  concat: evalConcat,
  maxpool: evalMaxPool,
  subsample: evalSubsample,
  ctrgc: evalCtrgc,
  pool: evalPool,
  linear: evalLinear,
};

/** Writes value[c][t][v] (channels × the output's T × V) through the op's epilogue: channel offset, residual, ReLU. */
function epilogue(s: Scope, op: EpilogueOp, value: Float64Array, channels: number): void {
  const { T, V } = info(s, op.out);
  const y = write(s, op.out);
  const res = op.residual ? s.env.get(op.residual.tensor) : undefined;
  if (op.residual && !res) throw new Error(`interpret: residual ${op.residual.tensor} read before it was written`);
  for (let c = 0; c < channels; c++) {
    for (let t = 0; t < T; t++) {
      for (let v = 0; v < V; v++) {
        let acc = value[(c * T + t) * V + v];
        if (res) acc += res[((op.residual!.offset + c) * T + t) * V + v];
        if (op.relu) acc = Math.max(acc, 0);
        y[((op.outOffset + c) * T + t) * V + v] = acc;
      }
    }
  }
}

function bnAffineF64(bn: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array }) {
  const n = bn.gamma.length;
  const scale = new Float64Array(n);
  const shift = new Float64Array(n);
  for (let c = 0; c < n; c++) {
    scale[c] = bn.gamma[c] / Math.sqrt(bn.variance[c] + BN_EPS);
    shift[c] = bn.beta[c] - bn.mean[c] * scale[c];
  }
  return { scale, shift };
}
