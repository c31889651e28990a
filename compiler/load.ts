/**
 * Artifact → IR. readArtifact (common/artifact.ts) has already checked the format, version and
 * checksums; here every weight the CTR-GCN structure needs is looked up by its official name and
 * its shape checked, and anything left over (an op this compiler does not know) is refused.
 */
import { readArtifact, type Artifact, type CtrGcnConfig } from '../common/artifact.ts';
import { OptionError, UserError } from 'cocodiff-runtime/shared/errors';
import { describeCtrGcn, type CtrGcnDescription, type UnitSpec } from '../common/model/ctrgcn.ts';
import { GraphBuilder } from './graph-builder.ts';
import type { CtrgcSubset, Graph } from './ir.ts';

export async function loadArtifact(dir: string): Promise<{ artifact: Artifact; graph: Graph }> {
  const artifact = await readArtifact(dir);
  return { artifact, graph: buildGraph(artifact) };
}

/** Builds the semantic graph of the official CTR-GCN (eval mode) from the artifact's weights. */
export function buildGraph(artifact: Artifact): Graph {
  const { backbone: b, classes } = artifact.model;
  const { C, T, V, M } = artifact.model.input;
  const g = new GraphBuilder(artifact);
  const described = describeStructure(artifact, g.where);
  let x = addStem(g, artifact);
  for (const unit of described.units) x = addUnit(g, b, unit, x);
  const output = addHead(g, x, b.channels[b.channels.length - 1], classes.length);
  g.refuseUnused();
  return { input: { C, T, V, M }, numClasses: classes.length, tensors: g.tensors, ops: g.ops, output };
}

/** The structure (units, channels, residuals) is the shared description's; the weights must fit it. */
function describeStructure(artifact: Artifact, where: string): CtrGcnDescription {
  const b = artifact.model.backbone;
  const { T } = artifact.model.input;
  const totalStride = b.strides.reduce((a, s) => a * s, 1);
  if (T % totalStride !== 0) {
    throw new UserError(`${where}: field "input.T": ${T} frames do not divide by the units' total temporal stride ${totalStride} (backbone.strides)`);
  }
  const subsets = artifact.weights.get('l1.gcn1.PA')?.shape[0] ?? 3;
  try {
    return describeCtrGcn(b, artifact.model.input, artifact.model.classes.length, subsets);
  } catch (err) {
    if (!(err instanceof OptionError)) throw err;
    throw new UserError(`${where}: field "backbone.${err.option}": ${err.problem}`);
  }
}

/** data_bn on the [C][T][V][M] input, one person's [C][T][V] at a time. */
function addStem(g: GraphBuilder, artifact: Artifact): string {
  const { C, T, V, M } = artifact.model.input;
  g.ops.push({ kind: 'input', module: 'data_bn', out: g.tensor('x', { C, T, V }), bn: g.batchNorm('data_bn', M * V * C) });
  return 'x';
}

/** One TCN-GCN unit, relu(tcn1(gcn1(x)) + residual(x)); returns its output tensor. */
function addUnit(g: GraphBuilder, b: CtrGcnConfig, unit: UnitSpec, x: string): string {
  const l = unit.name;
  const gcn = addGcn(g, unit, x);
  const res = addResidual(g, unit, x);
  const tcn = addTcn(g, b, unit, gcn);
  let sum = tcn;
  if (res) {
    sum = `${l}.sum`;
    g.add(tcn, res, sum);
  }
  g.relu(sum, `${l}.out`);
  return `${l}.out`;
}

/** gcn1: CTR-GC over the subsets of PA, BN, plus down(x), ReLU. */
function addGcn(g: GraphBuilder, unit: UnitSpec, x: string): string {
  const { name: l, inC: cin, outC: cout, rel } = unit;
  const subsets = ctrgcSubsets(g, unit);
  const alpha = g.weight(`${l}.gcn1.alpha`, [1])[0];
  // down(x) first: the fused CTR-GC kernel adds it as its residual.
  let down = x;
  if (unit.down) {
    g.conv(`${l}.gcn1.down.0`, x, `${l}.down_conv`, cin, cout, 1, 1, 1);
    g.bn(`${l}.gcn1.down.1`, `${l}.down_conv`, `${l}.down`);
    down = `${l}.down`;
  }
  g.tensor(`${l}.agg`, { C: cout, T: unit.framesIn, V: g.V });
  g.ops.push({ kind: 'ctrgc', module: `${l}.gcn1`, in: x, out: `${l}.agg`, cin, cout, rel, alpha, subsets, bias: new Float32Array(cout), outOffset: 0, relu: false });
  g.bn(`${l}.gcn1.bn`, `${l}.agg`, `${l}.agg_bn`);
  g.add(`${l}.agg_bn`, down, `${l}.gcn_sum`);
  g.relu(`${l}.gcn_sum`, `${l}.gcn`);
  return `${l}.gcn`;
}

/** The weights of gcn1's CTR-GC subsets, one per slice of PA [subsets, V, V]. */
function ctrgcSubsets(g: GraphBuilder, unit: UnitSpec): CtrgcSubset[] {
  const { name: l, inC: cin, outC: cout, rel } = unit;
  const { V } = g;
  const pa = g.storedShape(`${l}.gcn1.PA`);
  if (!pa || pa.length !== 3) throw new UserError(`${g.where}: weight "${l}.gcn1.PA" is missing or not [subsets, V, V]`);
  const nSub = pa[0];
  const paData = g.weight(`${l}.gcn1.PA`, [nSub, V, V]);
  const subsets: CtrgcSubset[] = [];
  for (let s = 0; s < nSub; s++) {
    const p = `${l}.gcn1.convs.${s}`;
    subsets.push({
      w1: g.weight(`${p}.conv1.weight`, [rel, cin, 1, 1]), b1: g.weight(`${p}.conv1.bias`, [rel]),
      w2: g.weight(`${p}.conv2.weight`, [rel, cin, 1, 1]), b2: g.weight(`${p}.conv2.bias`, [rel]),
      w3: g.weight(`${p}.conv3.weight`, [cout, cin, 1, 1]), b3: g.weight(`${p}.conv3.bias`, [cout]),
      w4: g.weight(`${p}.conv4.weight`, [cout, rel, 1, 1]), b4: g.weight(`${p}.conv4.bias`, [cout]),
      pa: paData.slice(s * V * V, (s + 1) * V * V),
    });
  }
  return subsets;
}

/**
 * The residual: none in unit 1, identity when the shape is unchanged, else a strided 1×1 conv + BN.
 * Built before tcn1 so that tcn1's kernels can add it as they store.
 */
function addResidual(g: GraphBuilder, unit: UnitSpec, x: string): string | undefined {
  const l = unit.name;
  if (unit.residual === 'none') return undefined;
  if (unit.residual === 'identity') return x;
  g.conv(`${l}.residual.conv`, x, `${l}.res_conv`, unit.inC, unit.outC, 1, unit.stride, 1);
  g.bn(`${l}.residual.bn`, `${l}.res_conv`, `${l}.res`);
  return `${l}.res`;
}

/** tcn1: the multi-scale temporal conv, its branches (one per dilation, max-pool, strided 1×1) concatenated. */
function addTcn(g: GraphBuilder, b: CtrGcnConfig, unit: UnitSpec, gcn: string): string {
  const { name: l, outC: cout, stride, branchChannels: bc } = unit;
  const parts: string[] = [];
  // Every branch but the last opens with a 1×1 conv, BN and ReLU.
  const pointwise = (p: string): string => {
    g.conv(`${p}.0`, gcn, `${p}.pw`, cout, bc, 1, 1, 1);
    g.bn(`${p}.1`, `${p}.pw`, `${p}.pw_bn`);
    g.relu(`${p}.pw_bn`, `${p}.pw_relu`);
    return `${p}.pw_relu`;
  };
  b.dilations.forEach((d, j) => {
    const p = `${l}.tcn1.branches.${j}`;
    const input = pointwise(p);
    g.conv(`${p}.3.conv`, input, `${p}.tc`, bc, bc, b.temporalKernel, stride, d);
    g.bn(`${p}.3.bn`, `${p}.tc`, `${p}.out`);
    parts.push(`${p}.out`);
  });
  {
    const p = `${l}.tcn1.branches.${b.dilations.length}`;
    const input = pointwise(p);
    g.tensor(`${p}.pool`, { C: bc, T: unit.framesOut, V: g.V });
    g.ops.push({ kind: 'maxpool', module: `${p}.3`, in: input, out: `${p}.pool`, stride, outOffset: 0, relu: false });
    g.bn(`${p}.4`, `${p}.pool`, `${p}.out`);
    parts.push(`${p}.out`);
  }
  {
    const p = `${l}.tcn1.branches.${b.dilations.length + 1}`;
    g.conv(`${p}.0`, gcn, `${p}.pw`, cout, bc, 1, stride, 1);
    g.bn(`${p}.1`, `${p}.pw`, `${p}.out`);
    parts.push(`${p}.out`);
  }
  g.tensor(`${l}.tcn`, { C: cout, T: unit.framesOut, V: g.V });
  g.ops.push({ kind: 'concat', ins: parts, out: `${l}.tcn` });
  return `${l}.tcn`;
}

/** The mean over time, joints and persons, then the fully connected classifier; returns the logits tensor. */
function addHead(g: GraphBuilder, x: string, channels: number, K: number): string {
  g.ops.push({ kind: 'pool', module: 'mean', in: x, out: g.tensor('feature', { C: channels, T: 1, V: 1 }) });
  g.ops.push({ kind: 'linear', module: 'fc', in: 'feature', out: g.tensor('logits', { C: K, T: 1, V: 1 }), weight: g.weight('fc.weight', [K, channels]), bias: g.weight('fc.bias', [K]) });
  return 'logits';
}
