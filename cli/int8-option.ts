/** The options `compile` and `bench` share for int8: `--int8 CALIBRATION`, `--calibration METHOD`, `--calibration-samples N`. */
import type { Command } from 'commander';
import type { Artifact } from '../common/artifact.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { CALIBRATION_SYNTAX, DEFAULT_CALIBRATION_METHOD, parseCalibrationMethod, type CalibrationMethod } from '../compiler/int8/calibrate.ts';
import { DEFAULT_CALIBRATION_SAMPLES } from '../trainer/data/calibration-inputs.ts';
import { positiveInt } from './options.ts';

export interface Int8Flags {
  int8?: string;
  calibration: string;
  calibrationSamples: number;
}

export function addInt8Options(command: Command, what: string): Command {
  return command
    .option('--int8 <calibration>', `${what}, activation ranges calibrated on a dataset cache (its train split), a recording or a folder of recordings`)
    .option('--calibration <method>', `with --int8: how activation ranges are chosen, ${CALIBRATION_SYNTAX}`, DEFAULT_CALIBRATION_METHOD)
    .option('--calibration-samples <n>', 'with --int8: recordings calibration reads at most', positiveInt('--calibration-samples', LIMITS.windowFrames), DEFAULT_CALIBRATION_SAMPLES);
}

/** The calibration set and method the flags ask for (undefined without --int8); bad flags and unreadable inputs are UserErrors. */
export async function int8FromFlags(f: Int8Flags, artifact: () => Promise<Artifact>): Promise<{ inputs: Float32Array[]; method: CalibrationMethod } | undefined> {
  const method = parseCalibrationMethod(f.calibration, '--calibration');
  if (!f.int8) return undefined;
  const { readCalibrationInputs } = await import('../trainer/data/calibration-inputs.ts');
  const inputs = await readCalibrationInputs(await artifact(), f.int8, f.calibrationSamples).catch((err: unknown) => {
    throw err instanceof UserError ? new UserError(`--int8 ${err.message}`) : err;
  });
  return { inputs, method };
}
