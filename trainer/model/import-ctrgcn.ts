/**
 * Imports weights trained by the official CTR-GCN code into a cocodiff model artifact.
 *
 * The input is a PyTorch checkpoint (read with no Python by ../pytorch/pt-archive.ts), or a
 * `state_dict` dumped as a manifest (golden.json style:
 * `{weights: {file?, tensors: [{name, shape, offset (bytes), length (floats)}]}}`) and a float32
 * little-endian blob. The configuration is read off the tensor shapes: V from PA, C from the first
 * CTR-GC conv, M from data_bn, the channels of every unit, the classes from fc. Every tensor is then
 * checked by name against the model that configuration builds: missing, extra or mis-shaped
 * tensors are refused by name (`num_batches_tracked` counters are ignored).
 */
import { dirname, resolve } from 'node:path';
import { writeArtifact, type ArtifactMeta, type CtrGcnConfig, type ModelJson, type Modality, type Tensor } from '../../common/artifact.ts';
import { OptionError, UserError, atField } from 'cocodiff-runtime/shared/errors';
import { LAYOUTS, layoutForJoints, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { describeCtrGcn } from '../../common/model/ctrgcn.ts';
import { ntuClassNames } from '../data/ntu-names.ts';
import { checkNames } from './params.ts';
import { readTorchCheckpoint } from '../pytorch/pt-archive.ts';
import { parseJson } from 'cocodiff-runtime/shared/json-fields';
import { readInputBytes, readInputText } from 'cocodiff-runtime/shared/formats/read-input';

export interface ImportMeta {
  /** Frames per sample the network is used with (default 64). */
  frames?: number;
  /** Class names, one per logit; default: the NTU-60 / NTU-120 names when K is 60 / 120. */
  classes?: string[];
  modality?: Modality;
  /** The joint layout, when the joint count fits more than one (20: kinect20 or msr20). */
  layout?: LayoutName;
  /** Extra provenance recorded in model.json. */
  provenance?: Record<string, unknown>;
  /** Replace an earlier artifact at outDir (never anything else; see common/output-dir.ts). */
  force?: boolean;
}

interface ManifestEntry {
  name: string;
  shape: number[];
  offset: number;
  length: number;
}

/** Reads the manifest + blob into tensors by name, checking every entry against the blob. */
export async function readStateDict(manifestPath: string, weightsPath?: string): Promise<Map<string, Tensor>> {
  const manifest = parseJson(await readInputText(manifestPath, 'the weight manifest'), manifestPath) as { weights?: { file?: string; tensors?: ManifestEntry[] } };
  const tensors = manifest?.weights?.tensors;
  if (!Array.isArray(tensors)) throw atField(manifestPath, 'weights.tensors', 'expected a list of {name, shape, offset, length}');
  const binPath = weightsPath ?? resolve(dirname(manifestPath), manifest.weights?.file ?? 'weights.bin');
  const blob = await readInputBytes(binPath, 'the weights');
  const out = new Map<string, Tensor>();
  tensors.forEach((t, i) => {
    const field = `weights.tensors[${i}]`;
    if (!t || typeof t.name !== 'string') throw atField(manifestPath, `${field}.name`, 'expected a string');
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw atField(manifestPath, `${field}.shape`, `tensor "${t.name}": expected a list of non-negative integers`);
    }
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.length !== count) throw atField(manifestPath, `${field}.length`, `tensor "${t.name}": shape [${t.shape}] holds ${count} values, found ${t.length}`);
    if (!Number.isInteger(t.offset) || t.offset < 0 || t.offset % 4 !== 0) {
      throw atField(manifestPath, `${field}.offset`, `tensor "${t.name}": expected a non-negative multiple of 4`);
    }
    if (t.offset + 4 * count > blob.length) {
      throw new UserError(`${binPath}: tensor "${t.name}" needs bytes ${t.offset}..${t.offset + 4 * count}, but the file has ${blob.length} (truncated?)`);
    }
    if (out.has(t.name)) throw atField(manifestPath, `${field}.name`, `duplicate tensor "${t.name}"`);
    if (t.name.endsWith('num_batches_tracked')) return; // a counter, not a weight
    const data = new Float32Array(count);
    const view = new DataView(blob.buffer, blob.byteOffset + t.offset, 4 * count);
    for (let j = 0; j < count; j++) data[j] = view.getFloat32(4 * j, true);
    out.set(t.name, { shape: [...t.shape], data });
  });
  return out;
}

/** The configuration a set of official tensors describes (everything but T, which weights do not fix). */
export function inferConfig(w: ReadonlyMap<string, Tensor>, source: string): { backbone: CtrGcnConfig; V: number; M: number; numClasses: number } {
  const need = (name: string, rank: number): number[] => {
    const t = w.get(name);
    if (!t) throw new UserError(`${source}: missing tensor "${name}"`);
    if (t.shape.length !== rank) throw new UserError(`${source}: tensor "${name}" has shape [${t.shape}], expected rank ${rank}`);
    return t.shape;
  };
  const [, V] = need('l1.gcn1.PA', 3);
  const inChannels = need('l1.gcn1.convs.0.conv3.weight', 4)[1];
  const [dataBn] = need('data_bn.weight', 1);
  const M = dataBn / (V * inChannels);
  if (!Number.isInteger(M) || M < 1) throw new UserError(`${source}: data_bn has ${dataBn} channels, not a multiple of V·C = ${V * inChannels}`);
  const channels: number[] = [];
  while (w.has(`l${channels.length + 1}.gcn1.PA`)) channels.push(need(`l${channels.length + 1}.gcn1.convs.0.conv3.weight`, 4)[0]);
  // Weights cannot show a stride; the official rule (and ctrgcnConfig's) is stride 2 where a stage's
  // channels grow.
  const strides = channels.map((c, i) => (i > 0 && c !== channels[i - 1] ? 2 : 1));
  const temporalKernel = need('l1.tcn1.branches.0.3.conv.weight', 4)[2];
  let branches = 0;
  while (w.has(`l1.tcn1.branches.${branches}.3.conv.weight`)) branches++;
  const dilations = Array.from({ length: branches }, (_, i) => i + 1);
  const [numClasses] = need('fc.weight', 2);
  return { backbone: { type: 'ctrgcn', inChannels, channels, strides, reduction: 8, temporalKernel, dilations }, V, M, numClasses };
}

/** Reads official weights from a manifest + blob and writes a cocodiff artifact to `outDir` (atomically). */
export async function importCtrGcn(manifestPath: string, weightsPath: string | undefined, outDir: string, meta: ImportMeta = {}): Promise<ModelJson> {
  const source = weightsPath ?? manifestPath;
  const weights = await readStateDict(manifestPath, weightsPath);
  return importWeights(weights, source, [manifestPath, source], outDir, { ...meta, provenance: { importedFrom: resolve(manifestPath), weights: resolve(source), ...meta.provenance } });
}

/** Reads official weights from a PyTorch checkpoint (`torch.save`, zip format) and writes a cocodiff artifact. */
export async function importCtrGcnCheckpoint(checkpointPath: string, outDir: string, meta: ImportMeta = {}): Promise<ModelJson> {
  const { tensors, foundAt } = await readTorchCheckpoint(checkpointPath);
  return importWeights(tensors, checkpointPath, [checkpointPath], outDir, {
    ...meta, provenance: { importedFrom: resolve(checkpointPath), ...(foundAt ? { stateDictKey: foundAt } : {}), ...meta.provenance },
  });
}

/** Checks official tensors against the configuration they describe and writes them as an artifact (read from `inputs`). */
async function importWeights(weights: Map<string, Tensor>, source: string, inputs: string[], outDir: string, meta: ImportMeta): Promise<ModelJson> {
  const { backbone, V, M, numClasses } = inferConfig(weights, source);
  if (meta.layout && LAYOUTS[meta.layout].joints.length !== V) {
    throw new OptionError('layout', `${meta.layout} has ${LAYOUTS[meta.layout].joints.length} joints, but ${source}: PA is ${V} × ${V}`);
  }
  const layout = layoutForJoints(V, meta.layout, `${source}: PA is ${V} × ${V}`, '--layout').name;
  const T = meta.frames ?? 64;
  if (!Number.isInteger(T) || T < 1) throw new OptionError('frames', `expected a positive integer, found ${T}`);
  const classes = meta.classes ?? (numClasses === 60 || numClasses === 120 ? ntuClassNames(numClasses) : undefined);
  if (!classes) throw new OptionError('classes', `${source}: fc has ${numClasses} classes; give their names`);
  if (classes.length !== numClasses) throw new OptionError('classes', `${classes.length} names, but fc.weight has ${numClasses} classes`);

  const input = { C: backbone.inChannels, T, V, M };
  const expected = new Map(describeCtrGcn(backbone, input, numClasses).tensors.map((t) => [t.name, t.shape]));
  checkNames(expected, weights, source);

  const ordered = new Map([...expected.keys()].map((n) => [n, weights.get(n)!]));
  const artifactMeta: ArtifactMeta = {
    backbone,
    layout,
    input,
    modality: meta.modality ?? 'joint',
    preprocessing: { windowFrames: T, testCropRatio: 0.95, centre: true },
    classes,
    provenance: { ...meta.provenance, importedAt: new Date().toISOString() },
    metrics: {},
  };
  return writeArtifact(outDir, artifactMeta, ordered, { force: meta.force, inputs });
}
