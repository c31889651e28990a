/**
 * The model's ops against tfjs's own convolution / pooling kernels, forward and gradient (on cpu,
 * which has Conv2DBackpropFilter), plus a finite-difference check of the custom gradient. The
 * backends' kernels are checked against the plain tfjs ops in backends.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Rng } from '../../common/rng.ts';
import { selectBackend } from '../../trainer/backend.ts';
import { aggregate } from '../../trainer/model/ctrgc.ts';
import { BatchNorm } from '../../trainer/model/norm.ts';
import { evenFrames, maxPoolTime3, temporalConv } from '../../trainer/model/ops.ts';
import { ParamStore } from '../../trainer/model/params.ts';

const rng = new Rng(7);
const randn = (shape: number[]): tf.Tensor => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);
const close = (a: tf.Tensor, b: tf.Tensor, tol = 1e-4): void => {
  expect(a.shape).toEqual(b.shape);
  expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeLessThanOrEqual(tol);
};

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('model ops', () => {
  for (const [dilation, stride] of [[1, 1], [2, 1], [1, 2], [2, 2]]) {
    it(`temporalConv (dilation ${dilation}, stride ${stride}) equals tf.conv2d, value and gradients`, () => {
      const x = randn([2, 9, 3, 4]) as tf.Tensor4D; // odd T exercises the stride-2 padding
      const w = randn([6, 4, 5, 1]); // official [out, in, k, 1]
      const b = randn([6]);
      const pad = 2 * dilation;
      // tfjs's conv2d has no gradient for dilation > 1, so the reference dilates the filter itself
      // (zero taps between the real ones) and convolves with the stride.
      const reference = (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor): tf.Tensor => {
        const taps = tf.split(tf.transpose(wi, [2, 3, 1, 0]), 5, 0); // 5 × [1, 1, in, out]
        const zero = tf.zerosLike(taps[0]);
        const filter = tf.concat(taps.flatMap((t, i) => (i === 0 ? [t] : [...Array(dilation - 1).fill(zero), t])), 0) as tf.Tensor4D;
        const y = tf.conv2d(tf.pad(xi as tf.Tensor4D, [[0, 0], [pad, pad], [0, 0], [0, 0]]), filter, [stride, 1], 'valid');
        return tf.add(y, bi);
      };
      const dy = randn(reference(x, w, b).shape);
      const loss = (f: (...t: tf.Tensor[]) => tf.Tensor) => (xi: tf.Tensor, wi: tf.Tensor, bi: tf.Tensor) => tf.sum(tf.mul(f(xi, wi, bi), dy));
      close(temporalConv(x, w, b, dilation, stride), reference(x, w, b));
      const mine = tf.grads(loss((xi, wi, bi) => temporalConv(xi as tf.Tensor4D, wi, bi, dilation, stride)))([x, w, b]);
      const ref = tf.grads(loss(reference))([x, w, b]);
      mine.forEach((g, i) => close(g, ref[i]));
    });
  }

  it('temporalConv gradient matches finite differences', () => {
    const x = tf.variable(randn([1, 6, 2, 3]));
    const w = randn([2, 3, 5, 1]);
    const b = randn([2]);
    const f = (): tf.Scalar => tf.sum(tf.square(temporalConv(x as unknown as tf.Tensor4D, w, b, 2, 1)));
    const { grads } = tf.variableGrads(f, [x]);
    const g = grads[x.name].dataSync();
    const base = x.dataSync().slice();
    const eps = 1e-2;
    for (const i of [0, 7, 20, 35]) {
      const at = (d: number): number => {
        const v = base.slice();
        v[i] += d;
        x.assign(tf.tensor(v, x.shape));
        return f().dataSync()[0];
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      expect(Math.abs(numeric - g[i])).toBeLessThan(1e-2 * Math.max(1, Math.abs(numeric)));
    }
  });

  for (const stride of [1, 2]) {
    it(`maxPoolTime3 (stride ${stride}) equals PyTorch-style max-pool 3×1 padding 1 on non-negative input`, () => {
      const x = tf.relu(randn([2, 8, 3, 4])) as tf.Tensor4D;
      const ref = tf.maxPool(tf.pad(x, [[0, 0], [1, 1], [0, 0], [0, 0]]), [3, 1], [stride, 1], 'valid');
      close(maxPoolTime3(x, stride), ref, 0);
    });
  }

  it('evenFrames keeps frames 0, 2, 4, … for odd and even T', () => {
    for (const T of [6, 7]) {
      const x = randn([2, T, 3, 2]) as tf.Tensor4D;
      close(evenFrames(x), tf.stridedSlice(x, [0, 0, 0, 0], x.shape, [1, 2, 1, 1]), 0);
    }
  });

  it('aggregate computes out[b,t,u,c] = Σ_w R[w,b,u,c] x[b,t,w,c], value and gradients', () => {
    const [B, T, U, W, C] = [2, 3, 4, 5, 3];
    const R = randn([W, B, U, C]) as tf.Tensor4D;
    const x = randn([B, T, W, C]) as tf.Tensor4D;
    const r = R.arraySync();
    const xs = x.arraySync();
    const expected = xs.map((xb, b) => xb.map((xt) => Array.from({ length: U }, (_, u) => Array.from({ length: C }, (_, c) => xt.reduce((s, xw, w) => s + r[w][b][u][c] * xw[c], 0)))));
    close(aggregate(R, x), tf.tensor(expected));
    // Reference gradient: the same sum as broadcast products, differentiated by tfjs.
    const reference = (Ri: tf.Tensor, xi: tf.Tensor): tf.Tensor =>
      tf.sum(tf.mul(tf.transpose(Ri, [1, 2, 0, 3]).reshape([B, 1, U, W, C]), xi.reshape([B, T, 1, W, C])), 3);
    const dy = randn([B, T, U, C]);
    const loss = (f: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor) => (a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(a, b), dy));
    const mine = tf.grads(loss((a, b) => aggregate(a as tf.Tensor4D, b as tf.Tensor4D)))([R, x]);
    const ref = tf.grads(loss(reference))([R, x]);
    mine.forEach((g, i) => close(g, ref[i]));
  });

  it('BatchNorm training gradient equals the gradient of tf.moments + tf.batchNorm', () => {
    const store = new ParamStore();
    const bn = new BatchNorm(store, 'bn', 3, Float32Array.from([0.5, 1.5, -2]));
    bn.bias.assign(tf.tensor1d([0.1, -0.2, 0.3]));
    const x = randn([2, 4, 5, 3]);
    const dy = randn([2, 4, 5, 3]);
    const reference = (xi: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      const { mean, variance } = tf.moments(xi, [0, 1, 2]);
      return tf.batchNorm(xi, mean, variance, b, g, 1e-5);
    };
    const loss = (f: (...t: tf.Tensor[]) => tf.Tensor) => (...t: tf.Tensor[]) => tf.sum(tf.mul(f(...t), dy));
    close(bn.apply(x, true, false), reference(x, bn.weight, bn.bias), 1e-5);
    const mine = tf.grads(loss((xi) => bn.apply(xi, true, false)))([x, bn.weight, bn.bias]);
    const ref = tf.grads(loss(reference))([x, bn.weight, bn.bias]);
    mine.forEach((g, i) => close(g, ref[i], 1e-4));
  });

  it('BatchNorm in training uses batch statistics and moves the running ones (momentum 0.1, unbiased variance)', () => {
    const store = new ParamStore();
    const bn = new BatchNorm(store, 'bn', 2);
    const x = tf.tensor([[1, 10], [2, 20], [3, 30], [6, 60]]);
    const y = bn.apply(x, true);
    // Mean (3, 30), biased variance (3.5, 350): standardised values, scale 1, shift 0.
    close(y, tf.div(tf.sub(x, tf.tensor([3, 30])), tf.sqrt(tf.tensor([3.5 + 1e-5, 350 + 1e-5]))), 1e-5);
    close(bn.runningMean, tf.tensor([0.3, 3]), 1e-6);
    close(bn.runningVar, tf.tensor([0.9 + 0.1 * (14 / 3), 0.9 + 0.1 * (1400 / 3)]), 1e-4);
    close(bn.apply(x, false), tf.div(tf.sub(x, bn.runningMean), tf.sqrt(tf.add(bn.runningVar, 1e-5))), 1e-5);
  });
});
