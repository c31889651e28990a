/**
 * Analytic size and cost of a CTR-GCN configuration, without building it: the parameters are the
 * learnable tensors of its description (ctrgcn.ts), the multiply-adds follow its units.
 *
 * Parameters: every learnable tensor (convs and their biases, batch-norm scale and shift, the
 * learnable topology PA, alpha, fc); running statistics are not parameters.
 * Multiply-adds per sample (all M persons): every convolution (1×1 and temporal, at its output
 * resolution), CTR-GC's conv1/conv2 at full frame rate as the official code runs them (before the
 * temporal mean), conv4 on the V × V relation map, the aggregation Σ_v R·x3 (C·T·V·V per subset)
 * and fc. Batch-norm, ReLU, tanh, max-pool and the means are not counted (they are not
 * multiply-adds), as profilers such as thop / fvcore count CTR-GCN.
 */
import type { CtrGcnConfig, InputSpec } from '../artifact.ts';
import { describeCtrGcn, type TensorSpec } from './ctrgcn.ts';

export interface ModelCost {
  params: number;
  macs: number;
  /** Per unit: output shape [C, T, V] per person, parameters and multiply-adds. */
  units: Array<{ name: string; outC: number; outT: number; params: number; macs: number }>;
}

export function countCost(b: CtrGcnConfig, input: InputSpec, numClasses: number, subsets = 3): ModelCost {
  const { V, M } = input;
  const described = describeCtrGcn(b, input, numClasses, subsets);
  const size = (t: TensorSpec): number => t.shape.reduce((n, d) => n * d, 1);
  const paramsUnder = (prefix: string): number => described.tensors.filter((t) => t.learnable && t.name.startsWith(prefix)).reduce((n, t) => n + size(t), 0);
  const units = described.units.map((u) => {
    const { inC, outC, rel, branchChannels: bc, framesIn: T, framesOut: tOut } = u;
    // gcn1: per subset conv1/conv2 (full frame rate), conv3, conv4 on the V × V map, the aggregation; down.
    let m = subsets * M * (2 * T * V * inC * rel + T * V * inC * outC + V * V * rel * outC + outC * T * V * V);
    if (u.down) m += M * T * V * inC * outC;
    // tcn1: the 1×1 convs into every branch (the plain branch's strided), then the dilated convs.
    const branches = b.dilations.length + 2;
    m += M * ((branches - 1) * T * V * outC * bc + tOut * V * outC * bc + b.dilations.length * tOut * V * bc * bc * b.temporalKernel);
    if (u.residual === 'conv') m += M * tOut * V * inC * outC;
    return { name: u.name, outC, outT: tOut, params: paramsUnder(`${u.name}.`), macs: m };
  });
  const params = described.tensors.filter((t) => t.learnable).reduce((n, t) => n + size(t), 0);
  const macs = units.reduce((n, u) => n + u.macs, 0) + described.featureDim * numClasses;
  return { params, macs, units };
}
