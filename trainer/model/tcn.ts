/**
 * CTR-GCN's multi-scale temporal convolution (`MultiScale_TemporalConv`, no residual of its own):
 * four branches of out/4 channels, concatenated along channels:
 *   branches.0/1: 1×1 conv, BN, ReLU, k×1 temporal conv (dilation 1 / 2, stride s), BN
 *   branches.2:   1×1 conv, BN, ReLU, 3×1 max-pool (stride s, padding 1), BN
 *   branches.3:   1×1 conv with stride s, BN
 * Its init is the official weights_init: kaiming fan_out convs, zero biases, BN weight ~ N(1, 0.02).
 */
import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../common/rng.ts';
import { declareConv, normal, type Conv } from './init.ts';
import { BatchNorm } from './norm.ts';
import { concatChannels, conv1x1, evenFrames, maxPoolTime3, temporalConv } from './ops.ts';
import type { ParamStore } from './params.ts';

export class MultiScaleTcn {
  readonly dilated: Array<{ pw: Conv; bn1: BatchNorm; conv: Conv; bn2: BatchNorm; dilation: number }> = [];
  readonly pool: { pw: Conv; bn1: BatchNorm; bn2: BatchNorm };
  readonly point: { pw: Conv; bn: BatchNorm };

  constructor(store: ParamStore, rng: Rng, name: string, channels: number, private readonly stride: number, kernel: number, dilations: number[]) {
    const bc = channels / (dilations.length + 2);
    if (!Number.isInteger(bc)) throw new Error(`${name}: ${channels} channels do not split into ${dilations.length + 2} branches`);
    const conv = (n: string, out: number, inC: number, k: number): Conv => declareConv(store, rng, n, out, inC, k);
    const bn = (n: string, c: number): BatchNorm => new BatchNorm(store, n, c, normal(rng, [c], 1, 0.02));
    dilations.forEach((dilation, i) => {
      const p = `${name}.branches.${i}`;
      const pw = conv(`${p}.0`, bc, channels, 1);
      const bn1 = bn(`${p}.1`, bc);
      this.dilated.push({ pw, bn1, conv: conv(`${p}.3.conv`, bc, bc, kernel), bn2: bn(`${p}.3.bn`, bc), dilation });
    });
    const p = `${name}.branches`;
    const n = dilations.length;
    this.pool = { pw: conv(`${p}.${n}.0`, bc, channels, 1), bn1: bn(`${p}.${n}.1`, bc), bn2: bn(`${p}.${n}.4`, bc) };
    this.point = { pw: conv(`${p}.${n + 1}.0`, bc, channels, 1), bn: bn(`${p}.${n + 1}.1`, bc) };
  }

  apply(x: tf.Tensor4D, training: boolean, record = true): tf.Tensor4D {
    const s = this.stride;
    const outs: tf.Tensor4D[] = this.dilated.map((b) => {
      const h = tf.relu(b.bn1.apply(conv1x1(x, b.pw.weight, b.pw.bias), training, record));
      return b.bn2.apply(temporalConv(h, b.conv.weight, b.conv.bias, b.dilation, s), training, record);
    });
    const h = tf.relu(this.pool.bn1.apply(conv1x1(x, this.pool.pw.weight, this.pool.pw.bias), training, record));
    outs.push(this.pool.bn2.apply(maxPoolTime3(h, s), training, record));
    const xs = s === 2 ? evenFrames(x) : x;
    outs.push(this.point.bn.apply(conv1x1(xs, this.point.pw.weight, this.point.pw.bias), training, record));
    return concatChannels(outs) as tf.Tensor4D;
  }
}
