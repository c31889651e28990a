/**
 * Runs before every test file. Test files share their worker's modules (`isolate: false` in
 * vitest.config.ts), so tfjs, asc and binaryen load and warm up once per worker rather than once per
 * file; this puts back what one file could leave for the next. A file that picks no tfjs backend gets
 * `cpu`, as in a fresh process (tfjs's only backend that initialises in Node until `selectBackend`
 * loads another), not whatever the previous file chose; spies and stubbed globals are restored.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, vi } from 'vitest';

beforeAll(async () => {
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
});

afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllGlobals();
});
