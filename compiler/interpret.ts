/**
 * A plain TypeScript interpreter of the IR, at any stage of lowering: the reference every pass and
 * the generated .wasm are checked against. Straightforward loops, double-precision accumulation,
 * float32 storage (as the kernels store), no layout tricks.
 */
import { BN_EPS, type EpilogueOp, type Graph, type Op } from './ir.ts';

/** Runs the network on one [C][T][V][M] input; returns the logits. */
export function interpret(graph: Graph, input: Float32Array): Float32Array {
  const { C, T, V, M } = graph.input;
  if (input.length !== C * T * V * M) throw new Error(`interpret: input has ${input.length} values, expected ${C * T * V * M}`);
  const poolAt = graph.ops.findIndex((op) => op.kind === 'pool');
  const perPerson = graph.ops.slice(0, poolAt + 1);
  const after = graph.ops.slice(poolAt + 1);
  const shared = new Map<string, Float32Array>();
  for (let m = 0; m < M; m++) {
    const env = new Map<string, Float32Array>(shared);
    for (const op of perPerson) run(graph, op, env, input, m);
    shared.set('feature', env.get('feature')!);
  }
  for (const op of after) run(graph, op, shared, input, 0);
  return shared.get(graph.output)!;
}

function run(graph: Graph, op: Op, env: Map<string, Float32Array>, input: Float32Array, person: number): void {
  const info = (name: string) => graph.tensors.get(name)!;
  const get = (name: string): Float32Array => {
    const t = env.get(name);
    if (!t) throw new Error(`interpret: tensor ${name} read before it was written`);
    return t;
  };
  // Fused concats write several ops into one tensor: create it on first write.
  const out = (name: string): Float32Array => {
    let t = env.get(name);
    if (!t) {
      const i = info(name);
      t = new Float32Array(i.C * i.T * i.V);
      env.set(name, t);
    }
    return t;
  };
  const { M } = graph.input;

  switch (op.kind) {
    case 'input': {
      const { C, T, V } = graph.input;
      const y = out(op.out);
      const affine = op.scale && op.shift ? { scale: op.scale, shift: op.shift } : op.bn ? bnAffineF64(op.bn) : undefined;
      for (let c = 0; c < C; c++) {
        for (let t = 0; t < T; t++) {
          for (let v = 0; v < V; v++) {
            let x = input[((c * T + t) * V + v) * M + person];
            if (affine) {
              const ch = (person * V + v) * C + c;
              x = x * affine.scale[ch] + affine.shift[ch];
            }
            y[(c * T + t) * V + v] = x;
          }
        }
      }
      return;
    }
    case 'conv': {
      const x = get(op.in);
      const src = info(op.in);
      const V = src.V;
      const T = info(op.out).T;
      // Loops ordered so the innermost runs along contiguous joints; each output still sums its
      // terms in the order bias, then ci, then k (the same double-precision result as one sum per output).
      const acc = new Float64Array(op.cout * T * V);
      for (let co = 0; co < op.cout; co++) {
        const row = acc.subarray(co * T * V, (co + 1) * T * V);
        row.fill(op.bias[co]);
        for (let ci = 0; ci < op.cin; ci++) {
          for (let k = 0; k < op.K; k++) {
            const w = op.weight[(co * op.cin + ci) * op.K + k];
            for (let t = 0; t < T; t++) {
              const ts = t * op.stride + k * op.dilation - op.pad;
              if (ts < 0 || ts >= src.T) continue;
              const from = (ci * src.T + ts) * V;
              for (let v = 0; v < V; v++) row[t * V + v] += w * x[from + v];
            }
          }
        }
      }
      epilogue(graph, op, env, out(op.out), acc, op.cout);
      return;
    }
    case 'bn': {
      const x = get(op.in);
      const y = out(op.out);
      const { C, T, V } = info(op.in);
      for (let c = 0; c < C; c++) {
        const inv = 1 / Math.sqrt(op.bn.variance[c] + BN_EPS);
        for (let i = 0; i < T * V; i++) {
          y[c * T * V + i] = (x[c * T * V + i] - op.bn.mean[c]) * inv * op.bn.gamma[c] + op.bn.beta[c];
        }
      }
      return;
    }
    case 'relu': {
      const x = get(op.in);
      const y = out(op.out);
      for (let i = 0; i < x.length; i++) y[i] = Math.max(x[i], 0);
      return;
    }
    case 'add': {
      const a = get(op.a);
      const b = get(op.b);
      const y = out(op.out);
      for (let i = 0; i < a.length; i++) y[i] = a[i] + b[i];
      return;
    }
    case 'concat': {
      const y = out(op.out);
      let offset = 0;
      for (const name of op.ins) {
        const x = get(name);
        y.set(x, offset);
        offset += x.length;
      }
      return;
    }
    case 'maxpool': {
      const x = get(op.in);
      const src = info(op.in);
      const { C } = src;
      const T = info(op.out).T;
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
      epilogue(graph, op, env, out(op.out), value, C);
      return;
    }
    case 'subsample': {
      const x = get(op.in);
      const src = info(op.in);
      const T = info(op.out).T;
      const value = new Float64Array(src.C * T * src.V);
      for (let c = 0; c < src.C; c++) {
        for (let t = 0; t < T; t++) {
          for (let v = 0; v < src.V; v++) value[(c * T + t) * src.V + v] = x[(c * src.T + t * op.stride) * src.V + v];
        }
      }
      epilogue(graph, op, env, out(op.out), value, src.C);
      return;
    }
    case 'ctrgc': {
      const x = get(op.in);
      const { T, V } = info(op.in);
      const { cin, cout, rel } = op;
      const S = T * V;
      const sum = new Float64Array(cout * S);
      for (const s of op.subsets) {
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
        const x1 = proj(s.w1, s.b1);
        const x2 = proj(s.w2, s.b2);
        const rel3 = new Float64Array(rel * V * V); // tanh(x1[u] − x2[v])
        for (let r = 0; r < rel; r++) {
          for (let u = 0; u < V; u++) for (let v = 0; v < V; v++) rel3[(r * V + u) * V + v] = Math.tanh(x1[r * V + u] - x2[r * V + v]);
        }
        const A = new Float64Array(V * V);
        const x3 = new Float64Array(S);
        for (let c = 0; c < cout; c++) {
          for (let uv = 0; uv < V * V; uv++) {
            let acc = s.b4[c];
            for (let r = 0; r < rel; r++) acc += s.w4[c * rel + r] * rel3[r * V * V + uv];
            A[uv] = acc * op.alpha + s.pa[uv];
          }
          // Along contiguous positions; each x3[i] still sums b3, then ci in order.
          x3.fill(s.b3[c]);
          for (let ci = 0; ci < cin; ci++) {
            const w = s.w3[c * cin + ci];
            for (let i = 0; i < S; i++) x3[i] += w * x[ci * S + i];
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
      epilogue(graph, op, env, out(op.out), sum, cout);
      return;
    }
    case 'pool': {
      const x = get(op.in);
      const { C, T, V } = info(op.in);
      const y = out(op.out);
      for (let c = 0; c < C; c++) {
        let acc = 0;
        for (let i = 0; i < T * V; i++) acc += x[c * T * V + i];
        y[c] += acc / (T * V) / M;
      }
      return;
    }
    case 'linear': {
      const x = get(op.in);
      const y = out(op.out);
      const K = op.bias.length;
      const Cn = x.length;
      for (let k = 0; k < K; k++) {
        let acc = op.bias[k];
        for (let c = 0; c < Cn; c++) acc += op.weight[k * Cn + c] * x[c];
        y[k] = acc;
      }
      return;
    }
  }
}

/** Writes value[c][t][v] (channels × the output's T × V) through the op's epilogue: channel offset, residual, ReLU. */
function epilogue(graph: Graph, op: EpilogueOp, env: Map<string, Float32Array>, y: Float32Array, value: Float64Array, channels: number): void {
  const { T, V } = graph.tensors.get(op.out)!;
  const res = op.residual ? env.get(op.residual.tensor) : undefined;
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
