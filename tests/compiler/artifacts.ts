/**
 * Test artifacts for the compiler: the golden official CTR-GCN (tests/fixtures) wrapped as an
 * artifact, and seeded random CTR-GCNs of other sizes whose batch-norm statistics are random too,
 * so that folding them is actually exercised.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeArtifact, type ArtifactMeta, type CtrGcnConfig, type Tensor } from '../../common/artifact.ts';
import { LAYOUTS, spatialAdjacency, type LayoutName } from '../../common/layouts.ts';
import { Rng } from '../../common/rng.ts';

export const GOLDEN_DIR = join(import.meta.dirname, '..', 'fixtures', 'golden-ctrgcn-ntu60');

export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

export const FULL_CONFIG: CtrGcnConfig = {
  type: 'ctrgcn', inChannels: 3,
  channels: [64, 64, 64, 64, 128, 128, 128, 256, 256, 256],
  strides: [1, 1, 1, 1, 2, 1, 1, 2, 1, 1],
  reduction: 8, temporalKernel: 5, dilations: [1, 2],
};

function meta(backbone: CtrGcnConfig, layout: LayoutName, T: number, M: number, K: number): ArtifactMeta {
  return {
    backbone, layout,
    input: { C: 3, T, V: LAYOUTS[layout].joints.length, M },
    modality: 'joint',
    preprocessing: { windowFrames: T, testCropRatio: 0.95, centre: true },
    classes: Array.from({ length: K }, (_, k) => `class ${k}`),
    provenance: { source: 'compiler test' },
    metrics: {},
  };
}

/** The golden official CTR-GCN (NTU-60) as an artifact in `dir`. */
export async function writeGoldenArtifact(dir: string): Promise<void> {
  const manifest = JSON.parse(readFileSync(join(GOLDEN_DIR, 'golden.json'), 'utf8')).weights.tensors as Array<{ name: string; shape: number[]; offset: number; length: number }>;
  const blob = readF32(join(GOLDEN_DIR, 'weights.bin'));
  const weights = new Map<string, Tensor>();
  for (const t of manifest) weights.set(t.name, { shape: t.shape, data: blob.slice(t.offset / 4, t.offset / 4 + t.length) });
  const classes = readFileSync(join(import.meta.dirname, '..', '..', 'trainer', 'data', 'reference', 'label_map_ntu60.txt'), 'utf8').trim().split('\n');
  await writeArtifact(dir, { ...meta(FULL_CONFIG, 'ntu25', 64, 2, 60), classes }, weights);
}

export interface RandomModel {
  width?: number;
  blocks?: number;
  layout?: LayoutName;
  T?: number;
  M?: number;
  K?: number;
  seed?: number;
}

/** The CTR-GCN config at a width multiplier and depth, as in the trainer (width 0.25 → 16…64 channels). */
export function scaledConfig(width = 1, blocks = 10): CtrGcnConfig {
  const channels = FULL_CONFIG.channels.slice(0, blocks).map((c) => Math.max(4, Math.round(c * width / 4) * 4));
  return { ...FULL_CONFIG, channels, strides: FULL_CONFIG.strides.slice(0, blocks) };
}

/** A seeded random CTR-GCN with non-trivial batch-norm statistics, written as an artifact in `dir`. */
export async function writeRandomArtifact(dir: string, opts: RandomModel = {}): Promise<void> {
  const cfg = scaledConfig(opts.width ?? 0.25, opts.blocks ?? 10);
  const layout = opts.layout ?? 'ntu25';
  const V = LAYOUTS[layout].joints.length;
  const T = opts.T ?? 32;
  const M = opts.M ?? 2;
  const K = opts.K ?? 10;
  const rng = new Rng(opts.seed ?? 1);
  const w = new Map<string, Tensor>();
  const rand = (shape: number[], scale: number, offset = 0): Tensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = offset + scale * rng.normal();
    return { shape, data };
  };
  const conv = (name: string, cout: number, cin: number, k = 1, gain = 2): void => {
    w.set(`${name}.weight`, rand([cout, cin, k, 1], Math.sqrt(gain / (cin * k))));
    w.set(`${name}.bias`, rand([cout], 0.05));
  };
  const bn = (name: string, c: number): void => {
    w.set(`${name}.weight`, rand([c], 0.1, 0.7));
    w.set(`${name}.bias`, rand([c], 0.1));
    w.set(`${name}.running_mean`, rand([c], 0.2));
    const v = rand([c], 0.3, 1);
    v.data.forEach((x, i) => (v.data[i] = Math.abs(x) + 0.2));
    w.set(`${name}.running_var`, v);
  };
  bn('data_bn', M * V * 3);
  const adjacency = spatialAdjacency(LAYOUTS[layout]);
  cfg.channels.forEach((cout, i) => {
    const l = `l${i + 1}`;
    const cin = i === 0 ? 3 : cfg.channels[i - 1];
    const rel = cin === 3 || cin === 9 ? 8 : Math.floor(cin / cfg.reduction);
    const pa = new Float32Array(3 * V * V);
    adjacency.forEach((a, s) => a.forEach((x, j) => (pa[s * V * V + j] = x + 0.02 * rng.normal())));
    w.set(`${l}.gcn1.PA`, { shape: [3, V, V], data: pa });
    w.set(`${l}.gcn1.alpha`, { shape: [1], data: Float32Array.of(0.5 + 0.2 * rng.normal()) });
    for (let s = 0; s < 3; s++) {
      conv(`${l}.gcn1.convs.${s}.conv1`, rel, cin);
      conv(`${l}.gcn1.convs.${s}.conv2`, rel, cin);
      // Scaled so that the sum over subsets and joints keeps activations of order one.
      conv(`${l}.gcn1.convs.${s}.conv3`, cout, cin, 1, 0.3);
      conv(`${l}.gcn1.convs.${s}.conv4`, cout, rel, 1, 0.05);
    }
    if (cin !== cout) {
      conv(`${l}.gcn1.down.0`, cout, cin);
      bn(`${l}.gcn1.down.1`, cout);
    }
    bn(`${l}.gcn1.bn`, cout);
    const bc = cout / 4;
    for (let j = 0; j < 2; j++) {
      conv(`${l}.tcn1.branches.${j}.0`, bc, cout);
      bn(`${l}.tcn1.branches.${j}.1`, bc);
      conv(`${l}.tcn1.branches.${j}.3.conv`, bc, bc, 5);
      bn(`${l}.tcn1.branches.${j}.3.bn`, bc);
    }
    conv(`${l}.tcn1.branches.2.0`, bc, cout);
    bn(`${l}.tcn1.branches.2.1`, bc);
    bn(`${l}.tcn1.branches.2.4`, bc);
    conv(`${l}.tcn1.branches.3.0`, bc, cout);
    bn(`${l}.tcn1.branches.3.1`, bc);
    if (i > 0 && (cin !== cout || cfg.strides[i] !== 1)) {
      conv(`${l}.residual.conv`, cout, cin);
      bn(`${l}.residual.bn`, cout);
    }
  });
  const last = cfg.channels[cfg.channels.length - 1];
  w.set('fc.weight', rand([K, last], Math.sqrt(1 / last)));
  w.set('fc.bias', rand([K], 0.1));
  await writeArtifact(dir, meta(cfg, layout, T, M, K), w);
}

/** A seeded input [C][T][V][M] in the range of centred skeleton coordinates. */
export function randomInput(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal() * 0.5;
  return x;
}
