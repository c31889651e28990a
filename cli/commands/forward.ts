import * as tf from '@tensorflow/tfjs';
import type { Command } from 'commander';
import { readArtifact } from '../../common/artifact.ts';
import { writeFileAtomic } from '../../common/atomic.ts';
import { checkOutputFiles, RAW_FLOAT32, type FileKind } from '../../common/output-file.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { selectBackend } from '../../trainer/backend.ts';
import { backendOption, threadsOption, type BackendFlags } from '../backend-option.ts';
import { CtrGcnModel } from '../../trainer/model/ctrgcn.ts';
import { printable } from '../../common/terminal.ts';
import { FORCE_FILE_HELP } from '../options.ts';
import { firstBadCoordinate } from 'cocodiff-runtime/shared/sequence';
import { MAX_COORDINATE } from 'cocodiff-runtime/shared/abi';
import { readInputBytes } from 'cocodiff-runtime/shared/formats/read-input';

function parseShape(text: string): number[] {
  const dims = text.split(',').map((s) => Number(s.trim()));
  if (dims.length !== 5 || !dims.every((d) => Number.isInteger(d) && d > 0)) {
    throw new UserError(`--shape: expected five positive integers N,C,T,V,M (e.g. 1,3,64,25,2), found "${text}"`);
  }
  return dims;
}

function toBytes(a: Float32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const view = new DataView(out.buffer);
  a.forEach((v, i) => view.setFloat32(4 * i, v, true));
  return out;
}

export function register(program: Command): void {
  program
    .command('forward')
    .description('Run the network alone (no preprocessing) on a raw float32 tensor [N, C, T, V, M] and print the logits: for parity checks and debugging')
    .argument('<artifact>', 'model artifact directory (model.json + weights.bin)')
    .requiredOption('--input <file>', 'float32 little-endian input, N·C·T·V·M values')
    .option('--shape <n,c,t,v,m>', 'input shape (default: 1 sample of the artifact\'s input spec)')
    .option('--out <file>', 'write the logits [N, K] as float32 little-endian')
    .option('--features <file>', 'write the pooled features [N, F] as float32 little-endian')
    .option('--force', `${FORCE_FILE_HELP}: raw float32 files carry no mark, so any existing --out or --features file`)
    .addOption(backendOption())
    .addOption(threadsOption())
    .action(async (dir: string, f: { input: string; shape?: string; out?: string; features?: string; force?: boolean } & BackendFlags) => {
      const outputs = [f.out, f.features].filter((p): p is string => p !== undefined).map((p): [string, FileKind] => [p, RAW_FLOAT32]);
      await checkOutputFiles(outputs, f.force);
      const artifact = await readArtifact(dir);
      const { C, T, V, M } = artifact.model.input;
      const shape = f.shape ? parseShape(f.shape) : [1, C, T, V, M];
      if (shape[1] !== C || shape[3] !== V || shape[4] !== M) {
        throw new UserError(`--shape: the artifact takes [N, ${C}, T, ${V}, ${M}], found [${shape}]`);
      }
      const bytes = await readInputBytes(f.input, 'the input');
      const count = shape.reduce((a, b) => a * b, 1);
      if (bytes.length !== 4 * count) throw new UserError(`${f.input}: ${bytes.length} bytes, but shape [${shape}] needs ${4 * count} (float32)`);
      const data = new Float32Array(count);
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      for (let i = 0; i < count; i++) data[i] = view.getFloat32(4 * i, true);
      // NaN or 3e38 in gives NaN scores out, which would print as an answer.
      const bad = firstBadCoordinate(data);
      if (bad >= 0) throw new UserError(`${f.input}: value ${bad} is ${data[bad]}; network input must be finite and within ±${MAX_COORDINATE}`);

      const backend = await selectBackend(f.backend, { threads: f.threads });
      const model = CtrGcnModel.fromArtifact(artifact);
      const start = performance.now();
      const [features, logits] = tf.tidy(() => {
        const feat = model.features(tf.tensor(data, shape), false);
        return [feat, model.classify(feat, false)];
      });
      const logitValues = (await logits.data()) as Float32Array;
      const featureValues = (await features.data()) as Float32Array;
      const ms = performance.now() - start;
      const K = artifact.model.classes.length;
      console.log(`backend ${backend}, ${shape[0]} sample(s), ${ms.toFixed(0)} ms`);
      for (let n = 0; n < shape[0]; n++) {
        const row = logitValues.subarray(n * K, (n + 1) * K);
        console.log(`sample ${n} logits: ${Array.from(row, (v) => v.toFixed(5)).join(' ')}`);
        const top = Array.from(row.keys()).sort((a, b) => row[b] - row[a]).slice(0, 5);
        console.log(`sample ${n} top-5: ${top.map((k) => `${printable(artifact.model.classes[k])} (${row[k].toFixed(3)})`).join(', ')}`);
      }
      await checkOutputFiles(outputs, f.force);
      if (f.out) await writeFileAtomic(f.out, toBytes(logitValues));
      if (f.features) await writeFileAtomic(f.features, toBytes(featureValues));
      model.dispose();
    });
}
