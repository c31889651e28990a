/** NTU RGB+D `.skeleton` text. */
import { parseSkeleton } from 'cocodiff-runtime/shared/formats/ntu-skeleton';
import { binaryInputs, showBytes, type FuzzTarget } from '../harness.ts';
import { checkSequence } from './sequence-check.ts';

export const skeletonTarget: FuzzTarget = {
  name: 'skeleton',
  parser: 'runtime-as/shared/formats/ntu-skeleton.ts parseSkeleton',
  inputs: binaryInputs,
  run: (bytes) => checkSequence(parseSkeleton(bytes, 'S001C001P001R001A001.skeleton')),
  show: showBytes,
};
