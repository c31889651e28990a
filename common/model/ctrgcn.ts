/**
 * The CTR-GCN structure (Chen et al., ICCV 2021), free of tfjs: from a configuration, the named
 * tensors with their shapes (the official `state_dict`, in its order) and each unit's structure.
 * The trainer's model, the importer, the analytic counts and the compiler's loader all take their
 * shapes from here, so they cannot drift apart.
 */
import type { CtrGcnConfig, InputSpec } from '../artifact.ts';
import { OptionError } from 'cocodiff-runtime/shared/errors';

/** The official CTR-GCN: output channels and temporal strides of its 10 units. */
const FULL_CHANNELS = [64, 64, 64, 64, 128, 128, 128, 256, 256, 256];
const FULL_STRIDES = [1, 1, 1, 1, 2, 1, 1, 2, 1, 1];

/**
 * A CTR-GCN configuration. `width` scales every unit's channels (rounded to a multiple of 4 so the
 * four TCN branches split evenly); `blocks` changes the depth while keeping the three stages
 * (64/128/256 × width) and their stride-2 entries at the same relative places (40 % and 70 %).
 */
export function ctrgcnConfig(opts: { width?: number; blocks?: number; inChannels?: number } = {}): CtrGcnConfig {
  const width = opts.width ?? 1;
  const blocks = opts.blocks ?? 10;
  const inChannels = opts.inChannels ?? 3;
  if (!(width > 0)) throw new OptionError('width', `expected a positive number, found ${width}`);
  if (!Number.isInteger(blocks) || blocks < 1) throw new OptionError('blocks', `expected a positive integer, found ${blocks}`);
  if (!Number.isInteger(inChannels) || inChannels < 1) throw new OptionError('inChannels', `expected a positive integer, found ${inChannels}`);
  const scaled = (c: number): number => Math.max(4, 4 * Math.round((c * width) / 4));
  const stage2 = Math.max(1, Math.round(0.4 * blocks));
  const stage3 = Math.max(stage2, Math.round(0.7 * blocks));
  const channels: number[] = [];
  const strides: number[] = [];
  for (let i = 0; i < blocks; i++) {
    const base = blocks === 10 ? FULL_CHANNELS[i] : i < stage2 ? 64 : i < stage3 ? 128 : 256;
    channels.push(scaled(base));
    strides.push(blocks === 10 ? FULL_STRIDES[i] : i > 0 && (i === stage2 || i === stage3) ? 2 : 1);
  }
  return { type: 'ctrgcn', inChannels, channels, strides, reduction: 8, temporalKernel: 5, dilations: [1, 2] };
}

/** Relation channels of CTR-GC: 8 for raw-coordinate input (3 or 9 channels), else in / reduction (at least 1). */
export function relChannels(inChannels: number, reduction: number): number {
  return inChannels === 3 || inChannels === 9 ? 8 : Math.max(1, Math.floor(inChannels / reduction));
}

/** One named tensor; batch-norm running statistics are not learnable. */
export interface TensorSpec {
  name: string;
  shape: number[];
  learnable: boolean;
}

/** One TCN-GCN unit: relu(tcn1(gcn1(x)) + residual(x)). */
export interface UnitSpec {
  /** `l1` … `lN`, the prefix of its tensors. */
  name: string;
  inC: number;
  outC: number;
  stride: number;
  /** Relation channels of each CTR-GC subset. */
  rel: number;
  /** gcn1's `down` (1×1 conv + BN) when the channels change, else the identity. */
  down: boolean;
  /** None on the first unit; the identity when channels and frames stay; else a strided 1×1 conv + BN. */
  residual: 'none' | 'identity' | 'conv';
  /** Channels of each of tcn1's branches (dilated convs, max-pool, 1×1): outC / branches. */
  branchChannels: number;
  /** Frames in and out (the input's T after the strides before this unit; out = ceil(in / stride)). */
  framesIn: number;
  framesOut: number;
}

export interface CtrGcnDescription {
  units: UnitSpec[];
  /** Every tensor, in the official state_dict's order. */
  tensors: TensorSpec[];
  featureDim: number;
  /** Graph subsets (CTR-GCN: 3, the layout's self, inward and outward adjacency). */
  subsets: number;
}

/**
 * The network a configuration describes for an input and a class count. Throws an OptionError
 * naming the configuration field when the configuration cannot be built (channels that do not
 * split into the temporal branches). A strided unit keeps ceil(frames / stride) frames, as the
 * official padded convolutions do (the compiler asks for frames the strides divide).
 */
export function describeCtrGcn(b: CtrGcnConfig, input: InputSpec, numClasses: number, subsets = 3): CtrGcnDescription {
  const branches = b.dilations.length + 2;
  b.channels.forEach((c, i) => {
    if (c % branches !== 0) throw new OptionError(`channels[${i}]`, `${c} does not divide into ${branches} temporal branches`);
  });
  const tensors: TensorSpec[] = [];
  const param = (name: string, shape: number[]): void => void tensors.push({ name, shape, learnable: true });
  const conv = (name: string, out: number, inC: number, k = 1): void => {
    param(`${name}.weight`, [out, inC, k, 1]);
    param(`${name}.bias`, [out]);
  };
  const bn = (name: string, c: number): void => {
    param(`${name}.weight`, [c]);
    param(`${name}.bias`, [c]);
    tensors.push({ name: `${name}.running_mean`, shape: [c], learnable: false }, { name: `${name}.running_var`, shape: [c], learnable: false });
  };
  const { V, M } = input;
  bn('data_bn', M * V * b.inChannels);
  const units: UnitSpec[] = [];
  let frames = input.T;
  b.channels.forEach((outC, i) => {
    const name = `l${i + 1}`;
    const inC = i === 0 ? b.inChannels : b.channels[i - 1];
    const stride = b.strides[i];
    const unit: UnitSpec = {
      name, inC, outC, stride, rel: relChannels(inC, b.reduction), down: inC !== outC,
      residual: i === 0 ? 'none' : inC !== outC || stride !== 1 ? 'conv' : 'identity',
      branchChannels: outC / branches, framesIn: frames, framesOut: Math.ceil(frames / stride),
    };
    units.push(unit);
    frames = unit.framesOut;
    const g = `${name}.gcn1`;
    param(`${g}.PA`, [subsets, V, V]);
    param(`${g}.alpha`, [1]);
    for (let s = 0; s < subsets; s++) {
      conv(`${g}.convs.${s}.conv1`, unit.rel, inC);
      conv(`${g}.convs.${s}.conv2`, unit.rel, inC);
      conv(`${g}.convs.${s}.conv3`, outC, inC);
      conv(`${g}.convs.${s}.conv4`, outC, unit.rel);
    }
    if (unit.down) {
      conv(`${g}.down.0`, outC, inC);
      bn(`${g}.down.1`, outC);
    }
    bn(`${g}.bn`, outC);
    const bc = unit.branchChannels;
    const t = `${name}.tcn1.branches`;
    b.dilations.forEach((_, j) => {
      conv(`${t}.${j}.0`, bc, outC);
      bn(`${t}.${j}.1`, bc);
      conv(`${t}.${j}.3.conv`, bc, bc, b.temporalKernel);
      bn(`${t}.${j}.3.bn`, bc);
    });
    const n = b.dilations.length;
    conv(`${t}.${n}.0`, bc, outC);
    bn(`${t}.${n}.1`, bc);
    bn(`${t}.${n}.4`, bc);
    conv(`${t}.${n + 1}.0`, bc, outC);
    bn(`${t}.${n + 1}.1`, bc);
    if (unit.residual === 'conv') {
      conv(`${name}.residual.conv`, outC, inC);
      bn(`${name}.residual.bn`, outC);
    }
  });
  const featureDim = b.channels[b.channels.length - 1];
  param('fc.weight', [numClasses, featureDim]);
  param('fc.bias', [numClasses]);
  return { units, tensors, featureDim, subsets };
}
