/**
 * The modules `npm run mutate` tests, each with the code its mutants go into and the test files
 * that must kill them. TypeScript regions go to StrykerJS; AssemblyScript regions (the runtime, and
 * the kernels the compiler emits from templates) to the planted-mutant runner (planted.ts).
 */
import type { Region } from './ranges.ts';

export interface MutationModule {
  name: string;
  what: string;
  /** TypeScript mutated by Stryker. */
  stryker?: Region[];
  /** AssemblyScript (or emitted AssemblyScript) mutated by planted.ts. */
  planted?: Region[];
  /** The test files run against every mutant. */
  tests: string[];
  /** Stryker mutators left out for this module. */
  excludedMutations?: string[];
  /**
   * Planted mutants to run, drawn at random (fixed seed) from all of them, when running all would
   * take hours on two cores; the score is then an estimate from that sample.
   */
  plantedSample?: number;
}

export const MODULES: MutationModule[] = [
  {
    name: 'cocodiff',
    what: 'the CoCoDiff branch\'s maths: noise schedules and DDIM timesteps, noising and the DDIM step, the loss terms, the running feature statistics',
    stryker: [
      { file: 'trainer/cocodiff/schedule.ts' },
      { file: 'trainer/cocodiff/diffusion.ts' },
      { file: 'trainer/cocodiff/losses.ts' },
      { file: 'trainer/cocodiff/stats.ts' },
    ],
    tests: ['tests/cocodiff/schedule.test.ts', 'tests/cocodiff/diffusion.test.ts', 'tests/cocodiff/losses.test.ts', 'tests/cocodiff/stats.test.ts'],
  },
  {
    name: 'f16',
    what: 'f16 weights: float32 → half rounding and packing, and the half → float32 expansion the module runs at start-up',
    stryker: [{ file: 'compiler/f16.ts', names: ['toHalf', 'packF16'] }],
    planted: [{ file: 'compiler/f16.ts', names: ['emitExpandHalves'] }],
    tests: ['tests/compiler/f16.test.ts'],
  },
  {
    name: 'augmentation',
    what: 'training augmentation: random crop, linear resize, random rotation (trainer/data/preprocess.ts)',
    stryker: [{ file: 'trainer/data/preprocess.ts', names: ['trainCrop', 'resize', 'rotationMatrix', 'matmul3', 'rotate'] }],
    tests: ['tests/data/preprocess.test.ts', 'tests/data/augmentation.test.ts'],
  },
  {
    name: 'preprocessing',
    what: 'the test-time preprocessing shared by trainer and runtime: valid frames, centring, test crop, modalities (TypeScript reference and its AssemblyScript twin)',
    stryker: [{
      file: 'trainer/data/preprocess.ts',
      names: ['validFrames', 'centre', 'testCrop', 'bones', 'motion', 'applyModality', 'testPreprocessOptions', 'preprocess'],
    }, {
      file: 'trainer/data/preprocess-ucla.ts',
      names: ['minMaxNormalise', 'uclaTestFrames', 'gatherFrames', 'uclaTransform'],
    }],
    planted: [{ file: 'runtime-as/assembly/preprocess.ts', tests: ['tests/runtime/preprocess-parity.test.ts'] }],
    plantedSample: 24,
    tests: ['tests/data/preprocess.test.ts', 'tests/data/preprocess-ucla.test.ts', 'tests/runtime/preprocess-parity.test.ts'],
  },
  {
    name: 'empty-person-ring',
    what: 'the compiled module\'s empty-person reuse (emitted by compiler/codegen/network.ts and kernels/scalar.ts) and the frame ring buffer (runtime-as/assembly/ring.ts)',
    planted: [
      { file: 'compiler/codegen/network.ts', between: { from: 'const personLoop = M > 1 ? [', to: '] : [' }, tests: ['tests/compiler/empty-person.test.ts'] },
      { file: 'compiler/codegen/kernels/scalar.ts', between: { from: 'function person_is_empty(', to: '}`,' }, tests: ['tests/compiler/empty-person.test.ts'] },
      { file: 'runtime-as/assembly/ring.ts', tests: ['tests/runtime/ring.test.ts'] },
    ],
    plantedSample: 30,
    tests: ['tests/compiler/empty-person.test.ts', 'tests/runtime/ring.test.ts'],
  },
  {
    name: 'loaders',
    what: 'the loaders\' number checks: NTU .skeleton numbers and counts, .npy dtypes and half floats, the non-finite check',
    stryker: [
      { file: 'runtime-as/shared/formats/ntu-skeleton.ts', names: ['simpleDecimal', 'checkCount', 'numbers', 'number', 'count'] },
      { file: 'runtime-as/shared/formats/npy.ts', names: ['halfToFloat', 'parseDescr'] },
      { file: 'runtime-as/shared/sequence.ts', names: ['firstNonFinite'] },
    ],
    // The checks, not the wording of their messages (the tests match messages by pattern).
    excludedMutations: ['StringLiteral'],
    tests: ['tests/data/ntu-skeleton.test.ts', 'tests/data/npy-npz.test.ts'],
  },
];
