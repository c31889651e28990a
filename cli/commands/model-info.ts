import type { Command } from 'commander';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { numberWhere, positiveInt } from '../options.ts';
import { countCost } from '../../common/model/count.ts';
import { ctrgcnConfig } from '../../trainer/model/ctrgcn.ts';

export function register(program: Command): void {
  program
    .command('model-info')
    .description('Print the structure, parameter count and analytic multiply-adds of a CTR-GCN configuration')
    .option('--width <w>', 'channel multiplier (0.25 = the small edge model)', '1')
    .option('--blocks <b>', 'number of TCN-GCN units', '10')
    .option('--classes <k>', 'classes', '60')
    .option('--joints <v>', 'joints per person', '25')
    .option('--persons <m>', 'persons per sample', '2')
    .option('--frames <t>', 'frames per sample', '64')
    .option('--channels <c>', 'coordinates per joint', '3')
    .addHelpText(
      'after',
      '\nParameters: every learnable tensor (PA and alpha included; BN running statistics excluded).\n' +
        'Multiply-adds per sample (all persons): convolutions, CTR-GC conv1/conv2 at full frame rate, conv4, the\n' +
        'aggregation over joints, fc. Batch-norm, activations, pooling and means are not counted.',
    )
    .action((f: Record<string, string>) => {
      const width = numberWhere('--width', 'a positive number up to 64', (n) => n > 0 && n <= 64)(f.width);
      const backbone = ctrgcnConfig({ width, blocks: positiveInt('--blocks', LIMITS.units)(f.blocks), inChannels: positiveInt('--channels', LIMITS.channels)(f.channels) });
      const input = { C: backbone.inChannels, T: positiveInt('--frames', LIMITS.frames)(f.frames), V: positiveInt('--joints', LIMITS.joints)(f.joints), M: positiveInt('--persons', LIMITS.persons)(f.persons) };
      const K = positiveInt('--classes', LIMITS.classes)(f.classes);
      const cost = countCost(backbone, input, K);
      console.log(`CTR-GCN: ${backbone.channels.length} units, input [N, ${input.C}, ${input.T}, ${input.V}, ${input.M}], ${K} classes`);
      console.log('unit  out-channels  frames  stride      params   multiply-adds');
      cost.units.forEach((u, i) => {
        console.log(`${u.name.padEnd(5)} ${String(u.outC).padStart(12)} ${String(u.outT).padStart(7)} ${String(backbone.strides[i]).padStart(7)} ${u.params.toLocaleString('en').padStart(11)} ${(u.macs / 1e6).toFixed(1).padStart(13)} M`);
      });
      console.log(`feature dim   ${backbone.channels[backbone.channels.length - 1]}`);
      console.log(`parameters    ${cost.params.toLocaleString('en')}`);
      console.log(`multiply-adds ${(cost.macs / 1e9).toFixed(3)} G per sample (${input.M} persons, ${input.T} frames)`);
    });
}
