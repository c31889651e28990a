import type { Command } from 'commander';
import { writeFileAtomic } from '../../common/atomic.ts';
import { checkOutputFile } from '../../common/output-file.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { loadArtifact } from '../../compiler/load.ts';
import { exportOnnx, ONNX_MODEL, ONNX_OPSET } from '../../compiler/onnx/export.ts';
import { FORCE_FILE_HELP, positiveInt } from '../options.ts';
import { addInt8Options, int8FromFlags, type Int8Flags } from '../int8-option.ts';
import { int8Graph } from '../../compiler/index.ts';
import { printable } from '../../common/terminal.ts';

export function register(program: Command): void {
  const command = program
    .command('export-onnx')
    .description(`Export a model artifact's inference network (backbone + classifier) as a standard ONNX model (opset ${ONNX_OPSET})`)
    .argument('<artifact>', 'model artifact directory (model.json + weights.bin)')
    .option('-o, --out <file>', 'the .onnx file to write', 'model.onnx')
    .option('--force', FORCE_FILE_HELP)
    .option('--batch <n>', 'fix the batch size (default: a dynamic batch dimension "N")', positiveInt('--batch'))
    .addHelpText('after', '\nInput "input" [N, C, T, V, M] float32, preprocessed as the artifact says (model.json: preprocessing,\n' +
      'modality); output "logits" [N, K]. Class names, layout and preprocessing travel in the metadata\n(cocodiff.classes, ...). Standard ONNX operators only: Conv, BatchNormalization, MaxPool, MatMul, Tanh, ReduceMean, Gemm, ...\n' +
      'With --int8: a QDQ model of the module compile --int8 builds (its SIMD form), with the same codes and scales:\n' +
      'QuantizeLinear/DequantizeLinear on the int8 convs\' inputs, int8 weights per output channel, f32 elsewhere (cocodiff.int8 in the metadata).');
  addInt8Options(command, 'write a QDQ model of the int8 module (compile --int8)')
    .action(async (dir: string, f: Int8Flags & { out: string; batch?: number; force?: boolean }) => {
      if (!f.out.endsWith('.onnx')) throw new UserError(`-o/--out: expected a path ending in .onnx, found ${JSON.stringify(f.out)}`);
      await checkOutputFile(f.out, ONNX_MODEL, f.force);
      const { artifact, graph } = await loadArtifact(dir);
      const int8 = await int8FromFlags(f, async () => artifact);
      // The graph the int8 SIMD module is generated from (8-bit codes, c2): its codes and scales go into the model.
      const qdq = int8 && { lowered: int8Graph(graph, int8, 'c2'), calibration: { method: int8.method, samples: int8.inputs.length } };
      const model = exportOnnx(artifact, { batch: f.batch, int8: qdq });
      await checkOutputFile(f.out, ONNX_MODEL, f.force);
      await writeFileAtomic(f.out, model.bytes);
      const ops = [...model.operators].sort((a, b) => b[1] - a[1]).map(([op, n]) => `${op} ${n}`).join(', ');
      const what = int8 ? `, QDQ int8: ${int8.method} calibration on ${int8.inputs.length} recordings` : '';
      console.log(`wrote ${printable(f.out)} (${(model.bytes.length / 1024).toFixed(0)} KiB, opset ${ONNX_OPSET}${what}): input "${printable(model.inputName)}" [${model.inputShape}], output "${printable(model.outputName)}"; ${ops}`);
    });
}
