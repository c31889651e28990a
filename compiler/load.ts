/**
 * Artifact → IR. readArtifact (common/artifact.ts) has already checked the format, version and
 * checksums; here every weight the CTR-GCN structure needs is looked up by its official name and
 * its shape checked, and anything left over (an op this compiler does not know) is refused.
 */
import { readArtifact, type Artifact, type Tensor } from '../common/artifact.ts';
import { OptionError, UserError } from '../common/errors.ts';
import { describeCtrGcn, type CtrGcnDescription } from '../common/model/ctrgcn.ts';
import type { BatchNorm, CtrgcSubset, Graph, Op, TensorInfo } from './ir.ts';

export async function loadArtifact(dir: string): Promise<{ artifact: Artifact; graph: Graph }> {
  const artifact = await readArtifact(dir);
  return { artifact, graph: buildGraph(artifact) };
}

/** Builds the semantic graph of the official CTR-GCN (eval mode) from the artifact's weights. */
export function buildGraph(artifact: Artifact): Graph {
  const { model } = artifact;
  const where = `${artifact.dir}/model.json`;
  const b = model.backbone;
  const { C, T, V, M } = model.input;
  const used = new Set<string>();
  const weight = (name: string, shape: number[]): Float32Array => {
    const t: Tensor | undefined = artifact.weights.get(name);
    if (!t) throw new UserError(`${where}: weight "${name}" is missing (the ${b.type} structure in "backbone" needs it)`);
    if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
      throw new UserError(`${where}: weight "${name}" has shape [${t.shape}], expected [${shape}]`);
    }
    used.add(name);
    return t.data;
  };
  const batchNorm = (prefix: string, n: number): BatchNorm => ({
    gamma: weight(`${prefix}.weight`, [n]),
    beta: weight(`${prefix}.bias`, [n]),
    mean: weight(`${prefix}.running_mean`, [n]),
    variance: weight(`${prefix}.running_var`, [n]),
  });

  const totalStride = b.strides.reduce((a, s) => a * s, 1);
  if (T % totalStride !== 0) {
    throw new UserError(`${where}: field "input.T": ${T} frames do not divide by the units' total temporal stride ${totalStride} (backbone.strides)`);
  }
  // The structure (units, channels, residuals) is the shared description's; the weights must fit it.
  const subsets = artifact.weights.get('l1.gcn1.PA')?.shape[0] ?? 3;
  let described: CtrGcnDescription;
  try {
    described = describeCtrGcn(b, model.input, model.classes.length, subsets);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    throw new UserError(`${where}: field "backbone.${err.option}": ${err.problem}`);
  }

  const tensors = new Map<string, TensorInfo>();
  const ops: Op[] = [];
  const tensor = (name: string, info: TensorInfo): string => {
    tensors.set(name, info);
    return name;
  };
  // A conv's weight is stored [Cout][Cin][K][1]; the IR drops the trailing joint axis of size 1.
  const conv = (prefix: string, input: string, out: string, cin: number, cout: number, K: number, stride: number, dilation: number): void => {
    const src = tensors.get(input)!;
    const pad = ((K - 1) * dilation) / 2;
    tensor(out, { C: cout, T: Math.floor((src.T + 2 * pad - (K - 1) * dilation - 1) / stride) + 1, V });
    ops.push({
      kind: 'conv', module: prefix, in: input, out, cin, cout, K, dilation, stride, pad,
      weight: weight(`${prefix}.weight`, [cout, cin, K, 1]), bias: weight(`${prefix}.bias`, [cout]),
      outOffset: 0, relu: false,
    });
  };
  const bn = (prefix: string, input: string, out: string): void => {
    const src = tensors.get(input)!;
    tensor(out, { ...src });
    ops.push({ kind: 'bn', in: input, out, bn: batchNorm(prefix, src.C) });
  };
  const relu = (input: string, out: string): void => {
    tensor(out, { ...tensors.get(input)! });
    ops.push({ kind: 'relu', in: input, out });
  };

  ops.push({ kind: 'input', module: 'data_bn', out: tensor('x', { C, T, V }), bn: batchNorm('data_bn', M * V * C) });
  let x = 'x';
  let t = T;
  for (const unit of described.units) {
    const { name: l, inC: cin, outC: cout, stride, rel } = unit;
    // gcn1: CTR-GC over the subsets of PA, BN, plus down(x), ReLU
    const pa = artifact.weights.get(`${l}.gcn1.PA`);
    if (!pa || pa.shape.length !== 3) throw new UserError(`${where}: weight "${l}.gcn1.PA" is missing or not [subsets, V, V]`);
    const nSub = pa.shape[0];
    const paData = weight(`${l}.gcn1.PA`, [nSub, V, V]);
    const subsets: CtrgcSubset[] = [];
    for (let s = 0; s < nSub; s++) {
      const p = `${l}.gcn1.convs.${s}`;
      subsets.push({
        w1: weight(`${p}.conv1.weight`, [rel, cin, 1, 1]), b1: weight(`${p}.conv1.bias`, [rel]),
        w2: weight(`${p}.conv2.weight`, [rel, cin, 1, 1]), b2: weight(`${p}.conv2.bias`, [rel]),
        w3: weight(`${p}.conv3.weight`, [cout, cin, 1, 1]), b3: weight(`${p}.conv3.bias`, [cout]),
        w4: weight(`${p}.conv4.weight`, [cout, rel, 1, 1]), b4: weight(`${p}.conv4.bias`, [cout]),
        pa: paData.slice(s * V * V, (s + 1) * V * V),
      });
    }
    const alpha = weight(`${l}.gcn1.alpha`, [1])[0];
    // down(x) first: the fused CTR-GC kernel adds it as its residual.
    let down = x;
    if (unit.down) {
      conv(`${l}.gcn1.down.0`, x, `${l}.down_conv`, cin, cout, 1, 1, 1);
      bn(`${l}.gcn1.down.1`, `${l}.down_conv`, `${l}.down`);
      down = `${l}.down`;
    }
    tensor(`${l}.agg`, { C: cout, T: t, V });
    ops.push({ kind: 'ctrgc', module: `${l}.gcn1`, in: x, out: `${l}.agg`, cin, cout, rel, alpha, subsets, bias: new Float32Array(cout), outOffset: 0, relu: false });
    bn(`${l}.gcn1.bn`, `${l}.agg`, `${l}.agg_bn`);
    tensor(`${l}.gcn_sum`, { C: cout, T: t, V });
    ops.push({ kind: 'add', a: `${l}.agg_bn`, b: down, out: `${l}.gcn_sum` });
    relu(`${l}.gcn_sum`, `${l}.gcn`);
    const g = `${l}.gcn`;

    // residual: none in unit 1, identity when the shape is unchanged, else a strided 1×1 conv + BN.
    // Computed before tcn1 so that tcn1's kernels can add it as they store.
    let res: string | undefined;
    if (unit.residual !== 'none') {
      res = x;
      if (unit.residual === 'conv') {
        conv(`${l}.residual.conv`, x, `${l}.res_conv`, cin, cout, 1, stride, 1);
        bn(`${l}.residual.bn`, `${l}.res_conv`, `${l}.res`);
        res = `${l}.res`;
      }
    }

    // tcn1: multi-scale temporal conv, branches concatenated
    const bc = unit.branchChannels;
    const parts: string[] = [];
    b.dilations.forEach((d, j) => {
      const p = `${l}.tcn1.branches.${j}`;
      conv(`${p}.0`, g, `${p}.pw`, cout, bc, 1, 1, 1);
      bn(`${p}.1`, `${p}.pw`, `${p}.pw_bn`);
      relu(`${p}.pw_bn`, `${p}.pw_relu`);
      conv(`${p}.3.conv`, `${p}.pw_relu`, `${p}.tc`, bc, bc, b.temporalKernel, stride, d);
      bn(`${p}.3.bn`, `${p}.tc`, `${p}.out`);
      parts.push(`${p}.out`);
    });
    {
      const p = `${l}.tcn1.branches.${b.dilations.length}`;
      conv(`${p}.0`, g, `${p}.pw`, cout, bc, 1, 1, 1);
      bn(`${p}.1`, `${p}.pw`, `${p}.pw_bn`);
      relu(`${p}.pw_bn`, `${p}.pw_relu`);
      tensor(`${p}.pool`, { C: bc, T: t / stride, V });
      ops.push({ kind: 'maxpool', module: `${p}.3`, in: `${p}.pw_relu`, out: `${p}.pool`, stride, outOffset: 0, relu: false });
      bn(`${p}.4`, `${p}.pool`, `${p}.out`);
      parts.push(`${p}.out`);
    }
    {
      const p = `${l}.tcn1.branches.${b.dilations.length + 1}`;
      conv(`${p}.0`, g, `${p}.pw`, cout, bc, 1, stride, 1);
      bn(`${p}.1`, `${p}.pw`, `${p}.out`);
      parts.push(`${p}.out`);
    }
    t = t / stride;
    tensor(`${l}.tcn`, { C: cout, T: t, V });
    ops.push({ kind: 'concat', ins: parts, out: `${l}.tcn` });

    let unitSum = `${l}.tcn`;
    if (res) {
      unitSum = tensor(`${l}.sum`, { C: cout, T: t, V });
      ops.push({ kind: 'add', a: `${l}.tcn`, b: res, out: unitSum });
    }
    relu(unitSum, `${l}.out`);
    x = `${l}.out`;
  }

  const last = b.channels[b.channels.length - 1];
  const K = model.classes.length;
  ops.push({ kind: 'pool', module: 'mean', in: x, out: tensor('feature', { C: last, T: 1, V: 1 }) });
  ops.push({ kind: 'linear', module: 'fc', in: 'feature', out: tensor('logits', { C: K, T: 1, V: 1 }), weight: weight('fc.weight', [K, last]), bias: weight('fc.bias', [K]) });

  const unknown = [...artifact.weights.keys()].filter((n) => !used.has(n));
  if (unknown.length > 0) {
    throw new UserError(`${where}: weight "${unknown[0]}"${unknown.length > 1 ? ` (and ${unknown.length - 1} more)` : ''} belongs to no op this compiler knows for backbone "${b.type}"`);
  }
  return { input: { C, T, V, M }, numClasses: K, tensors, ops, output: 'logits' };
}
