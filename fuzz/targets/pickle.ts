/** The safe unpickler with a checkpoint's allow-list, as import-ctrgcn runs it on `data.pkl`. */
import { unpickle } from '../../trainer/pytorch/pickle.ts';
import { checkpointPickleOptions } from '../../trainer/pytorch/pt-archive.ts';
import { binaryInputs, showBytes, type FuzzTarget } from '../harness.ts';

export const pickleTarget: FuzzTarget = {
  name: 'pickle',
  parser: 'trainer/pytorch/pickle.ts unpickle',
  inputs: binaryInputs,
  run: (bytes) => unpickle(bytes, checkpointPickleOptions('fuzz.pt:archive/data.pkl')),
  show: showBytes,
};
