/**
 * Analytic size and cost of a CTR-GCN configuration, without building it.
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
import { relChannels } from './ctrgcn.ts';

export interface ModelCost {
  params: number;
  macs: number;
  /** Per unit: output shape [C, T, V] per person, parameters and multiply-adds. */
  units: Array<{ name: string; outC: number; outT: number; params: number; macs: number }>;
}

export function countCost(b: CtrGcnConfig, input: InputSpec, numClasses: number, subsets = 3): ModelCost {
  const { V, M } = input;
  const conv = (inC: number, outC: number, k = 1): number => inC * outC * k + outC;
  const bn = (c: number): number => 2 * c;
  let params = bn(M * V * b.inChannels);
  let macs = 0;
  let T = input.T;
  const units: ModelCost['units'] = [];
  b.channels.forEach((outC, i) => {
    const inC = i === 0 ? b.inChannels : b.channels[i - 1];
    const stride = b.strides[i];
    const rel = relChannels(inC, b.reduction);
    const tOut = Math.ceil(T / stride);
    let p = 0;
    let m = 0;
    // gcn1: per subset conv1..conv4 and the aggregation; PA, alpha; down; bn.
    p += subsets * (2 * conv(inC, rel) + conv(inC, outC) + conv(rel, outC)) + subsets * V * V + 1 + bn(outC);
    m += subsets * M * (2 * T * V * inC * rel + T * V * inC * outC + V * V * rel * outC + outC * T * V * V);
    if (inC !== outC) {
      p += conv(inC, outC) + bn(outC);
      m += M * T * V * inC * outC;
    }
    // tcn1: four branches of outC / branches channels.
    const branches = b.dilations.length + 2;
    const bc = outC / branches;
    p += branches * (conv(outC, bc) + bn(bc)) + b.dilations.length * (conv(bc, bc, b.temporalKernel) + bn(bc)) + bn(bc);
    m += M * ((branches - 1) * T * V * outC * bc + tOut * V * outC * bc + b.dilations.length * tOut * V * bc * bc * b.temporalKernel);
    // residual: a strided 1×1 conv + BN when the shape changes (never on the first unit).
    if (i > 0 && (inC !== outC || stride !== 1)) {
      p += conv(inC, outC) + bn(outC);
      m += M * tOut * V * inC * outC;
    }
    units.push({ name: `l${i + 1}`, outC, outT: tOut, params: p, macs: m });
    params += p;
    macs += m;
    T = tOut;
  });
  const F = b.channels[b.channels.length - 1];
  params += conv(F, numClasses);
  macs += F * numClasses;
  return { params, macs, units };
}
