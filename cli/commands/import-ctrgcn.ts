import type { Command } from 'commander';
import { FORCE_HELP, layoutName, positiveInt } from '../options.ts';
import { MODALITIES, type Modality } from '../../common/artifact.ts';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { LAYOUT_LIST, type LayoutName } from 'cocodiff-runtime/shared/layouts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { importCtrGcn, importCtrGcnCheckpoint } from '../../trainer/model/import-ctrgcn.ts';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';
import { printable } from '../../common/terminal.ts';

export function register(program: Command): void {
  program
    .command('import-ctrgcn')
    .description('Import weights trained by the official CTR-GCN code (a PyTorch .pt checkpoint, or a state_dict manifest + float32 blob) as a cocodiff model artifact')
    .argument('[checkpoint]', 'PyTorch checkpoint saved by torch.save (zip format): a state_dict, or a dict holding one under "state_dict", "model", "model_state_dict" or "net"')
    .option('--manifest <file>', 'instead of a checkpoint, a JSON manifest: {weights: {file?, tensors: [{name, shape, offset (bytes), length (floats)}]}}')
    .option('--weights <file>', 'float32 little-endian blob (default: the manifest\'s weights.file, next to it)')
    .requiredOption('--out <dir>', 'artifact directory to write (a new or empty directory; see --force)')
    .option('--force', FORCE_HELP)
    .option('--frames <t>', 'frames per sample the model is used with', positiveInt('--frames', LIMITS.frames), 64)
    .option('--classes <file>', 'class names, one per line (default: NTU-60 / NTU-120 names for 60 / 120 classes)')
    .option('--layout <name>', `joint layout (${LAYOUT_LIST}); needed when the joint count fits two (20: kinect20 for NW-UCLA, msr20)`, layoutName('--layout'))
    .option('--modality <m>', `input modality the weights were trained on (${MODALITIES.join(', ')})`, 'joint')
    .addHelpText('after', '\nThe configuration (joints, persons, channels, classes) is read off the tensor shapes; any missing,\nextra or mis-shaped tensor is refused by name. num_batches_tracked counters are ignored.\n' +
      'A checkpoint is read without running its pickle: float32/float16/float64 tensors, "module." prefixes\n(DataParallel) removed; any Python global other than the few a state_dict needs is refused by name.')
    .action(async (checkpoint: string | undefined, f: { manifest?: string; weights?: string; out: string; frames: number; classes?: string; layout?: LayoutName; modality: string; force?: boolean }) => {
      const { frames } = f;
      if (checkpoint && f.manifest) throw new UserError('give a checkpoint or --manifest, not both');
      if (!checkpoint && !f.manifest) throw new UserError('give the checkpoint to import (MODEL.pt), or --manifest FILE');
      if (checkpoint && f.weights) throw new UserError('--weights: only used with --manifest (a checkpoint holds its weights)');
      if (!(MODALITIES as readonly string[]).includes(f.modality)) throw new UserError(`--modality: expected one of ${MODALITIES.join(', ')}, found "${f.modality}"`);
      let classes: string[] | undefined;
      if (f.classes) {
        classes = (await readInputText(f.classes, 'the class names')).split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
      }
      const meta = { frames, classes, layout: f.layout, modality: f.modality as Modality, force: f.force };
      const model = checkpoint ? await importCtrGcnCheckpoint(checkpoint, f.out, meta) : await importCtrGcn(f.manifest!, f.weights, f.out, meta);
      const params = model.weights.filter((w) => !/running_(mean|var)$/.test(w.name)).reduce((n, w) => n + w.bytes / 4, 0);
      console.log(`${printable(f.out)}: CTR-GCN, ${model.backbone.channels.length} units [${model.backbone.channels}], layout ${model.layout}, ` +
        `input [N, ${model.input.C}, ${model.input.T}, ${model.input.V}, ${model.input.M}], ${model.classes.length} classes, ${params.toLocaleString('en')} parameters`);
    });
}
