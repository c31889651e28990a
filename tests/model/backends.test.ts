/**
 * Every registered trainer backend: its name is a `--backend` choice of each command that trains or
 * runs the tfjs model, and its kernels compute what the plain tfjs ops compute, value and gradient,
 * on that backend. A backend that cannot load here (an optional package not installed) is refused by
 * name with what to install. Tensors are read with `await data()`, which every backend supports.
 */
import * as tf from '@tensorflow/tfjs';
import { Command, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../cli/commands/index.ts';
import { OptionError } from 'cocodiff-runtime/shared/errors';
import { Rng } from '../../common/rng.ts';
import { activeKernels, BACKEND_CHOICES, BACKENDS, selectBackend } from '../../trainer/backend.ts';
import type { Kernels } from '../../trainer/kernels/kernels.ts';

const rng = new Rng(11);
const randn = (shape: number[]): tf.Tensor => tf.tensor(Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.normal()), shape);

/** Largest |a − b| relative to the reference's scale (at least 1). */
async function difference(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  expect(a.shape).toEqual(b.shape);
  const [x, y] = [await a.data(), await b.data()];
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < y.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return diff / scale;
}

/** One kernel against its plain tfjs op: the inputs, both functions, and a tolerance (0: exact). */
interface Case {
  inputs: () => tf.Tensor[];
  kernel: (k: Kernels, ...xs: tf.Tensor[]) => tf.Tensor;
  plain: (...xs: tf.Tensor[]) => tf.Tensor;
  tol: number;
}

const CASES: Record<keyof Kernels, Case> = {
  matMul2d: { inputs: () => [randn([7, 5]), randn([5, 3])], kernel: (k, x, w) => k.matMul2d(x as tf.Tensor2D, w as tf.Tensor2D), plain: (x, w) => tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), tol: 1e-5 },
  matMulBias: {
    inputs: () => [randn([7, 5]), randn([5, 3]), randn([3])],
    kernel: (k, x, w, b) => k.matMulBias(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
    plain: (x, w, b) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b),
    tol: 1e-5,
  },
  columnMeans: { inputs: () => [randn([37, 4])], kernel: (k, x) => k.columnMeans(x as tf.Tensor2D), plain: (x) => tf.mean(x, 0, true), tol: 1e-5 },
  columnSums: { inputs: () => [randn([37, 4])], kernel: (k, x) => k.columnSums(x as tf.Tensor2D), plain: (x) => tf.sum(x, 0), tol: 1e-5 },
  concatChannels: { inputs: () => [randn([2, 3, 4, 2]), randn([2, 3, 4, 2]), randn([2, 3, 4, 2])], kernel: (k, ...xs) => k.concatChannels(xs), plain: (...xs) => tf.concat(xs, -1), tol: 0 },
  stackParts: { inputs: () => [randn([2, 3, 4, 2]), randn([2, 3, 4, 2]), randn([2, 3, 4, 2])], kernel: (k, ...xs) => k.stackParts(xs), plain: (...xs) => tf.stack(xs), tol: 0 },
  // R [W, B, U, C], x [B, T, W, C]: the product broadcast over [B, T, U, W, C], summed over W.
  aggregate: {
    inputs: () => [randn([6, 2, 3, 4]), randn([2, 5, 6, 4])],
    kernel: (k, R, x) => k.aggregate(R as tf.Tensor4D, x as tf.Tensor4D),
    plain: (R, x) => tf.sum(tf.mul(tf.transpose(R, [1, 2, 0, 3]).reshape([2, 1, 3, 6, 4]), x.reshape([2, 5, 1, 6, 4])), 3),
    tol: 1e-5,
  },
};

/** The `--backend` option of each command that runs the tfjs model. */
async function backendOptions(): Promise<Array<[string, Option]>> {
  const found: Array<[string, Option]> = [];
  for (const c of COMMANDS.filter((c) => ['train', 'eval', 'ablate', 'cv', 'forward', 'demo'].includes(c.name))) {
    const program = new Command('cocodiff');
    (await c.load()).register(program);
    const option = program.commands[0].options.find((o) => o.long === '--backend');
    expect(option, `${c.name} --backend`).toBeDefined();
    found.push([c.name, option!]);
  }
  return found;
}

// Which backends load here is only known by loading them (setup.ts puts cpu back for the next file);
// `auto` may pass over a loadable one (webgpu on a software adapter).
const loadable = new Set<string>();
const autoLoadable = new Set<string>();
for (const b of BACKENDS) {
  if (await b.load(false)) loadable.add(b.name);
  if (await b.load(true)) autoLoadable.add(b.name);
}

describe('trainer backend registry', () => {
  it('every command that runs the tfjs model offers auto and exactly the registered backends, default auto', async () => {
    expect(BACKEND_CHOICES).toEqual(['auto', ...BACKENDS.map((b) => b.name)]);
    for (const [command, option] of await backendOptions()) {
      expect(option.argChoices, command).toEqual(BACKEND_CHOICES);
      expect(option.defaultValue, command).toBe('auto');
    }
  });

  it('auto picks the loadable backend of highest priority', async () => {
    const best = BACKENDS.filter((b) => b.priority !== undefined && autoLoadable.has(b.name)).sort((a, b) => b.priority! - a.priority!)[0];
    expect(await selectBackend('auto')).toBe(best.name);
    expect(tf.getBackend()).toBe(best.name);
  });

  it('refuses an unknown backend, naming the option and the choices', async () => {
    const err = await selectBackend('webgl').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OptionError);
    expect((err as OptionError).message).toBe(`backend: expected one of ${BACKEND_CHOICES.join(', ')}, found "webgl"`);
  });

  for (const backend of BACKENDS) {
    if (!loadable.has(backend.name)) {
      it(`${backend.name} (not loadable here) is refused with what to install`, async () => {
        await expect(selectBackend(backend.name)).rejects.toThrow(new OptionError('backend', `${backend.name}: ${await backend.missing!()}`));
      });
      continue;
    }
    describe(`${backend.name}: its kernels equal the plain tfjs ops, value and gradient`, () => {
      for (const [name, c] of Object.entries(CASES)) {
        it(name, async () => {
          expect(await selectBackend(backend.name)).toBe(backend.name);
          expect(activeKernels()).toBe(backend.kernels);
          const xs = c.inputs();
          const mine = c.kernel(backend.kernels, ...xs);
          const ref = c.plain(...xs);
          expect(await difference(mine, ref)).toBeLessThanOrEqual(c.tol);
          const dy = randn(ref.shape);
          const grads = (f: (...t: tf.Tensor[]) => tf.Tensor) => tf.grads((...t: tf.Tensor[]) => tf.sum(tf.mul(f(...t), dy)))(xs);
          const [gMine, gRef] = [grads((...t) => c.kernel(backend.kernels, ...t)), grads(c.plain)];
          for (let i = 0; i < xs.length; i++) expect(await difference(gMine[i], gRef[i]), `gradient ${i}`).toBeLessThanOrEqual(c.tol);
        });
      }
    });
  }
});
