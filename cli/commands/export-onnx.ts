import type { Command } from 'commander';
import { writeFileAtomic } from '../../common/atomic.ts';
import { checkOutputFile } from '../../common/output-file.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { loadArtifact } from '../../compiler/load.ts';
import { exportOnnx, ONNX_MODEL, ONNX_OPSET } from '../../compiler/onnx/export.ts';
import { FORCE_FILE_HELP, positiveInt } from '../options.ts';
import { printable } from '../../common/terminal.ts';

export function register(program: Command): void {
  program
    .command('export-onnx')
    .description(`Export a model artifact's inference network (backbone + classifier) as a standard ONNX model (opset ${ONNX_OPSET})`)
    .argument('<artifact>', 'model artifact directory (model.json + weights.bin)')
    .option('-o, --out <file>', 'the .onnx file to write', 'model.onnx')
    .option('--force', FORCE_FILE_HELP)
    .option('--batch <n>', 'fix the batch size (default: a dynamic batch dimension "N")', positiveInt('--batch'))
    .addHelpText('after', '\nInput "input" [N, C, T, V, M] float32, preprocessed as the artifact says (model.json: preprocessing,\n' +
      'modality); output "logits" [N, K]. Class names, layout and preprocessing travel in the metadata\n(cocodiff.classes, ...). Standard ONNX operators only: Conv, BatchNormalization, MaxPool, MatMul, Tanh, ReduceMean, Gemm, ...')
    .action(async (dir: string, f: { out: string; batch?: number; force?: boolean }) => {
      if (!f.out.endsWith('.onnx')) throw new UserError(`-o/--out: expected a path ending in .onnx, found ${JSON.stringify(f.out)}`);
      await checkOutputFile(f.out, ONNX_MODEL, f.force);
      const { artifact } = await loadArtifact(dir);
      const model = exportOnnx(artifact, { batch: f.batch });
      await checkOutputFile(f.out, ONNX_MODEL, f.force);
      await writeFileAtomic(f.out, model.bytes);
      const ops = [...model.operators].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(', ');
      console.log(`wrote ${printable(f.out)} (${(model.bytes.length / 1024).toFixed(0)} KiB, opset ${ONNX_OPSET}): input "${printable(model.inputName)}" [${model.inputShape}], output "${printable(model.outputName)}"; ${ops}`);
    });
}
