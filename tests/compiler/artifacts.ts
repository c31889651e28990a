/**
 * Test artifacts for the compiler: the golden official CTR-GCN (tests/fixtures) wrapped as an
 * artifact, and seeded random CTR-GCNs of other sizes whose batch-norm statistics are random too,
 * so that folding them is actually exercised. Their structure comes from the one model description
 * (common/model/ctrgcn.ts): `width` and `blocks` build the network `--width` and `--blocks` build.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeArtifact, type ArtifactMeta, type CtrGcnConfig, type Tensor } from '../../common/artifact.ts';
import { LAYOUTS, spatialAdjacency, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { ctrgcnConfig, describeCtrGcn } from '../../common/model/ctrgcn.ts';
import { Rng } from '../../common/rng.ts';

export const GOLDEN_DIR = join(import.meta.dirname, '..', 'fixtures', 'golden-ctrgcn-ntu60');

export function readF32(path: string): Float32Array {
  const b = readFileSync(path);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

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
  await writeArtifact(dir, { ...meta(ctrgcnConfig(), 'ntu25', 64, 2, 60), classes }, weights);
}

export interface RandomModel {
  /** As `--width` and `--blocks` (ctrgcnConfig). */
  width?: number;
  blocks?: number;
  layout?: LayoutName;
  T?: number;
  M?: number;
  K?: number;
  seed?: number;
}

/** A seeded random CTR-GCN with non-trivial batch-norm statistics, written as an artifact in `dir`. */
export async function writeRandomArtifact(dir: string, opts: RandomModel = {}): Promise<void> {
  const cfg = ctrgcnConfig({ width: opts.width ?? 0.25, blocks: opts.blocks ?? 10 });
  const layout = opts.layout ?? 'ntu25';
  const V = LAYOUTS[layout].joints.length;
  const T = opts.T ?? 32;
  const M = opts.M ?? 2;
  const K = opts.K ?? 10;
  const { tensors } = describeCtrGcn(cfg, { C: cfg.inChannels, T, V, M }, K);
  const rng = new Rng(opts.seed ?? 1);
  const rand = (shape: number[], scale: number, offset = 0): Float32Array => {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < data.length; i++) data[i] = offset + scale * rng.normal();
    return data;
  };
  const adjacency = spatialAdjacency(LAYOUTS[layout]);
  const batchNorms = new Set(tensors.filter((t) => t.name.endsWith('.running_mean')).map((t) => t.name.slice(0, -'.running_mean'.length)));
  /** Values for one tensor, by its role; drawn in the description's order, so a seed gives one model. */
  const values = (name: string, shape: number[]): Float32Array => {
    const dot = name.lastIndexOf('.');
    const [owner, kind] = [name.slice(0, dot), name.slice(dot + 1)];
    if (kind === 'PA') {
      const pa = new Float32Array(shape[0] * V * V);
      adjacency.forEach((a, s) => a.forEach((x, j) => (pa[s * V * V + j] = x + 0.02 * rng.normal())));
      return pa;
    }
    if (kind === 'alpha') return Float32Array.of(0.5 + 0.2 * rng.normal());
    if (batchNorms.has(owner)) {
      if (kind === 'weight') return rand(shape, 0.1, 0.7);
      if (kind === 'bias') return rand(shape, 0.1);
      if (kind === 'running_mean') return rand(shape, 0.2);
      return rand(shape, 0.3, 1).map((x) => Math.abs(x) + 0.2);
    }
    if (owner === 'fc') return kind === 'weight' ? rand(shape, Math.sqrt(1 / shape[1])) : rand(shape, 0.1);
    if (kind === 'bias') return rand(shape, 0.05);
    // Convolutions: He-like, with conv3 and conv4 scaled down so that the sum over subsets and
    // joints keeps activations of order one.
    const gain = owner.endsWith('.conv3') ? 0.3 : owner.endsWith('.conv4') ? 0.05 : 2;
    return rand(shape, Math.sqrt(gain / (shape[1] * shape[2] * shape[3])));
  };
  const w = new Map<string, Tensor>(tensors.map(({ name, shape }) => [name, { shape, data: values(name, shape) }]));
  await writeArtifact(dir, meta(cfg, layout, T, M, K), w);
}

/** A seeded input [C][T][V][M] in the range of centred skeleton coordinates. */
export function randomInput(n: number, seed: number): Float32Array {
  const rng = new Rng(seed);
  const x = new Float32Array(n);
  for (let i = 0; i < n; i++) x[i] = rng.normal() * 0.5;
  return x;
}
