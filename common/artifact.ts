/**
 * The model artifact (trainer → compiler): a directory with `model.json` and `weights.bin`.
 * This file is its only definition; the trainer writes it, the compiler and `eval` read it.
 *
 * Weight names follow the official CTR-GCN `state_dict` (`data_bn.weight`, `l1.gcn1.PA`,
 * `l5.residual.conv.weight`, `fc.weight`, ...), batch-norm running statistics included, so weights
 * trained by the authors' code import by name and nothing is renamed between the parts.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomic } from './atomic.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { checkHeader, classNamesProblem, fieldChecks, isObject, isSha256Hex, parseJson } from 'cocodiff-runtime/shared/json-fields';
import { LAYOUT_LIST, LAYOUTS, isLayoutName, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { MODALITIES, PREPROCESS_PROTOCOLS, type InputSpec, type Modality, type PreprocessSpec } from 'cocodiff-runtime/shared/input-spec';
import { TensorFileWriter, checkTensorEntries, readTensors, sha256, type TensorEntry } from './tensor-file.ts';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { readInputBytes, readInputText } from 'cocodiff-runtime/shared/formats/read-input';

export { MODALITIES, type InputSpec, type Modality, type PreprocessSpec } from 'cocodiff-runtime/shared/input-spec';

export const ARTIFACT_FORMAT = 'cocodiff-model';
export const ARTIFACT_VERSION = 1;

export interface CtrGcnConfig {
  type: 'ctrgcn';
  /** Input channels C (3). */
  inChannels: number;
  /** Output channels of each TCN-GCN unit: [64, 64, 64, 64, 128, 128, 128, 256, 256, 256] for the full model. */
  channels: number[];
  /** Temporal stride of each unit: 2 at units 5 and 8 for the full model. */
  strides: number[];
  /** Relation channels of CTR-GC: 8 when the unit's input has 3 or 9 channels, else input / reduction. */
  reduction: number;
  /** Temporal kernel size of the multi-scale TCN (5) and its dilations ([1, 2]). */
  temporalKernel: number;
  dilations: number[];
}

/** A weight in weights.bin (common/tensor-file.ts), always float32. */
export interface WeightEntry extends TensorEntry {
  dtype: 'float32';
  /** Byte length in weights.bin (= 4 · product(shape)): redundant, kept because version 1 artifacts carry it. */
  bytes: number;
}

export interface ModelJson {
  format: typeof ARTIFACT_FORMAT;
  version: number;
  backbone: CtrGcnConfig;
  layout: LayoutName;
  input: InputSpec;
  modality: Modality;
  preprocessing: PreprocessSpec;
  classes: string[];
  /** Free-form: dataset, epochs, seed, command line, dates. */
  provenance: Record<string, unknown>;
  /** Free-form: best test top-1 and the like. */
  metrics: Record<string, unknown>;
  weightsFile: 'weights.bin';
  weightsSha256: string;
  weights: WeightEntry[];
}

export type ArtifactMeta = Omit<ModelJson, 'format' | 'version' | 'weightsFile' | 'weightsSha256' | 'weights'>;

export interface Tensor {
  shape: number[];
  data: Float32Array;
}

export interface Artifact {
  dir: string;
  model: ModelJson;
  /** Weights by official name, in manifest order. */
  weights: Map<string, Tensor>;
}

const product = (shape: number[]): number => shape.reduce((a, b) => a * b, 1);

/**
 * Writes an artifact atomically: the directory appears whole or not at all. An existing directory
 * is replaced only when it is an earlier artifact and `force` is set, never when it holds one of
 * `inputs` (common/output-dir.ts).
 */
export async function writeArtifact(dir: string, meta: ArtifactMeta, weights: Map<string, Tensor>, opts: { force?: boolean; inputs?: readonly string[] } = {}): Promise<ModelJson> {
  const file = new TensorFileWriter();
  const entries: WeightEntry[] = [];
  for (const [name, t] of weights) {
    const e = file.add(name, t);
    entries.push({ name, shape: e.shape, dtype: 'float32', offset: e.offset, bytes: 4 * product(e.shape), sha256: e.sha256 });
  }
  const blob = file.bytes();
  const model: ModelJson = {
    format: ARTIFACT_FORMAT,
    version: ARTIFACT_VERSION,
    ...meta,
    weightsFile: 'weights.bin',
    weightsSha256: sha256(blob),
    weights: entries,
  };
  await writeDirAtomic(dir, async (tmp) => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(tmp, 'weights.bin'), blob);
    await writeFile(join(tmp, 'model.json'), JSON.stringify(model, null, 2) + '\n');
  }, { kind: 'model artifact', ...opts });
  return model;
}

/** Reads and validates an artifact; every refusal names the file and the field or weight. */
export async function readArtifact(dir: string): Promise<Artifact> {
  const jsonPath = join(dir, 'model.json');
  let isDir: boolean;
  try {
    isDir = (await stat(dir)).isDirectory();
  } catch (err) {
    throw new UserError(`${jsonPath}: cannot read the artifact's model.json (${(err as Error).message})`);
  }
  if (!isDir) throw new UserError(`${dir}: an artifact is a directory with model.json and weights.bin`);
  const text = await readInputText(jsonPath, "the artifact's model.json");
  const model = parseJson(text, jsonPath) as ModelJson;
  validateModelJson(model, jsonPath);

  const binPath = join(dir, model.weightsFile);
  const blob = await readInputBytes(binPath, 'the weights');
  const tensors = readTensors(blob, model.weights, { path: binPath, manifest: 'model.json', kind: 'weights', noun: 'weight' });
  // Each weight matched its own sha256; what is left is bytes no weight covers, or an edited total.
  if (sha256(blob) !== model.weightsSha256) throw new UserError(`${binPath}: does not match weightsSha256 in model.json (corrupted weights)`);
  const weights = new Map<string, Tensor>();
  model.weights.forEach((w, i) => {
    const data = tensors[i].data as Float32Array;
    if (!data.every(Number.isFinite)) throw new UserError(`${binPath}: weight "${w.name}" holds NaN or infinite values`);
    weights.set(w.name, { shape: w.shape, data });
  });
  return { dir, model, weights };
}

function validateModelJson(m: ModelJson, file: string): void {
  const need = fieldChecks(file);
  checkHeader(m, need, { format: ARTIFACT_FORMAT, version: ARTIFACT_VERSION, what: 'artifact' });
  need(isObject(m.backbone) && m.backbone.type === 'ctrgcn', 'backbone.type', `expected "ctrgcn", found ${JSON.stringify(m.backbone?.type)}`);
  const b = m.backbone;
  const intIn = (x: unknown, max: number): boolean => Number.isInteger(x) && (x as number) > 0 && (x as number) <= max;
  need(Array.isArray(b.channels) && b.channels.length > 0 && b.channels.length <= LIMITS.units && b.channels.every((c) => intIn(c, LIMITS.channels)), 'backbone.channels', `expected 1..${LIMITS.units} integers in 1..${LIMITS.channels}`);
  need(Array.isArray(b.strides) && b.strides.length === b.channels.length && b.strides.every((s) => s === 1 || s === 2), 'backbone.strides', 'expected 1 or 2 per unit, one per channel entry');
  need(intIn(b.inChannels, LIMITS.channels), 'backbone.inChannels', 'expected a positive integer');
  need(intIn(b.reduction, LIMITS.channels), 'backbone.reduction', 'expected a positive integer');
  need(intIn(b.temporalKernel, LIMITS.frames) && b.temporalKernel % 2 === 1, 'backbone.temporalKernel', 'expected an odd integer');
  need(Array.isArray(b.dilations) && b.dilations.length > 0 && b.dilations.length <= 16 && b.dilations.every((d) => intIn(d, LIMITS.frames)), 'backbone.dilations', 'expected positive integers');
  need(isLayoutName(m.layout), 'layout', `expected one of ${LAYOUT_LIST}, found ${JSON.stringify(m.layout)}`);
  const inp = m.input;
  need(isObject(inp), 'input', 'expected { C, T, V, M }');
  need(intIn(inp.T, LIMITS.frames), 'input.T', `expected an integer in 1..${LIMITS.frames}, found ${JSON.stringify(inp.T)}`);
  need(intIn(inp.M, LIMITS.persons), 'input.M', `expected an integer in 1..${LIMITS.persons}, found ${JSON.stringify(inp.M)}`);
  need(inp.V === LAYOUTS[m.layout].joints.length, 'input.V', `layout ${m.layout} has ${LAYOUTS[m.layout].joints.length} joints, found ${JSON.stringify(inp.V)}`);
  need(inp.C === b.inChannels, 'input.C', `expected backbone.inChannels = ${b.inChannels}, found ${JSON.stringify(inp.C)}`);
  need(MODALITIES.includes(m.modality), 'modality', `expected one of ${MODALITIES.join(', ')}, found ${JSON.stringify(m.modality)}`);
  const pre = m.preprocessing;
  need(isObject(pre), 'preprocessing', 'expected { windowFrames, testCropRatio, centre }');
  need(intIn(pre.windowFrames, LIMITS.windowFrames), 'preprocessing.windowFrames', `expected an integer in 1..${LIMITS.windowFrames}, found ${JSON.stringify(pre.windowFrames)}`);
  need(typeof pre.testCropRatio === 'number' && pre.testCropRatio > 0 && pre.testCropRatio <= 1, 'preprocessing.testCropRatio', 'expected a number in (0, 1]');
  need(typeof pre.centre === 'boolean', 'preprocessing.centre', `expected true or false, found ${JSON.stringify(pre.centre)}`);
  need(pre.protocol === undefined || PREPROCESS_PROTOCOLS.includes(pre.protocol), 'preprocessing.protocol', `expected one of ${PREPROCESS_PROTOCOLS.join(', ')}, found ${JSON.stringify(pre.protocol)}`);
  const classes = classNamesProblem(m.classes, LIMITS.classes);
  need(classes === undefined, 'classes', classes!);
  need(m.weightsFile === 'weights.bin', 'weightsFile', 'expected "weights.bin"');
  need(isSha256Hex(m.weightsSha256), 'weightsSha256', 'expected a sha256 hex digest');
  need(Array.isArray(m.weights) && m.weights.length > 0, 'weights', 'expected the weight manifest');
  checkTensorEntries(need, m.weights, 'weights', 'weight', ['float32']);
  m.weights.forEach((w, i) => {
    need(w.bytes === 4 * product(w.shape), `weights[${i}].bytes`, `weight "${w.name}": shape [${w.shape}] needs ${4 * product(w.shape)} bytes, found ${w.bytes}`);
  });
}
