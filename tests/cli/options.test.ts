/**
 * The CLI's one option layer: the number parsers name the flag and what they got; `train` and
 * `ablate` declare the shared groups (model size, backend, CoCoDiff) alike; the CoCoDiff flags map
 * to the library's options by one function.
 */
import { Command, type Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { cocodiffOverrides, referenceSettingsLr, type CoCoDiffFlags } from '../../cli/cocodiff-options.ts';
import * as ablate from '../../cli/commands/ablate.ts';
import * as train from '../../cli/commands/train.ts';
import { integer, layoutName, nonNegativeInt, number, numberWhere, positiveInt } from '../../cli/options.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { DEFAULT_COCODIFF_OPTIONS, REFERENCE_COCODIFF_OPTIONS } from '../../trainer/cocodiff/types.ts';

/** The subcommand `register` adds, parsed from ARGS without running its action. */
function parsed(module: { register(program: Command): void }, ...args: string[]): { command: Command; flags: Record<string, unknown> } {
  const program = new Command('cocodiff').exitOverride();
  module.register(program);
  const command = program.commands[0];
  command.parseOptions(args);
  return { command, flags: command.opts() };
}

describe('number parsers', () => {
  it.each([
    [number('--eta'), ['0.5', '-2', '1e-3'], [0.5, -2, 1e-3]],
    [integer('--seed'), ['3', '-1', '0'], [3, -1, 0]],
    [positiveInt('--batch'), ['1', '64'], [1, 64]],
    [positiveInt('--frames', 1024), ['1024'], [1024]],
    [nonNegativeInt('--threads'), ['0', '4'], [0, 4]],
    [numberWhere('--alpha', 'a number in (0, 1]', (n) => n > 0 && n <= 1), ['1', '0.25'], [1, 0.25]],
  ])('accept what they expect (%#)', (parse, texts, values) => {
    expect(texts.map(parse)).toEqual(values);
  });

  it.each([
    [number('--eta'), '', '--eta: expected a number, found ""'],
    [number('--eta'), 'abc', '--eta: expected a number, found "abc"'],
    [number('--eta'), 'Infinity', '--eta: expected a number, found "Infinity"'],
    [integer('--seed'), '1.5', '--seed: expected an integer, found "1.5"'],
    [integer('--seed'), ' ', '--seed: expected an integer, found " "'],
    [positiveInt('--batch'), '0', '--batch: expected a positive integer, found "0"'],
    [positiveInt('--batch'), '2.5', '--batch: expected a positive integer, found "2.5"'],
    [positiveInt('--frames', 1024), '1025', '--frames: expected an integer in 1..1024, found "1025"'],
    [nonNegativeInt('--threads'), '-1', '--threads: expected a non-negative integer, found "-1"'],
    [numberWhere('--alpha', 'a number in (0, 1]', (n) => n > 0 && n <= 1), '0', '--alpha: expected a number in (0, 1], found "0"'],
    [numberWhere('--alpha', 'a number in (0, 1]', (n) => n > 0 && n <= 1), '', '--alpha: expected a number in (0, 1], found ""'],
  ])('refuse anything else, naming the flag and the text (%#)', (parse, text, message) => {
    expect(() => parse(text)).toThrow(new UserError(message));
  });

  it('a bad number on the command line is refused with the flag named', () => {
    expect(() => parsed(train, '--width', 'wide')).toThrow('--width: expected a number, found "wide"');
    expect(() => parsed(ablate, '--eta', 'x')).toThrow('--eta: expected a number, found "x"');
    expect(() => parsed(ablate, '--frames', '0')).toThrow('--frames: expected an integer in 1..1024, found "0"');
  });

  it('a layout flag takes a registered layout\'s name and nothing else (no prototype key)', () => {
    expect(layoutName('--layout')('kinect20')).toBe('kinect20');
    expect(() => layoutName('--layout')('kinect')).toThrow(new UserError('--layout: expected one of ntu25, openpose18, coco17, kinect20, msr20, florence15, found "kinect"'));
    expect(() => layoutName('--layout')('__proto__')).toThrow(/^--layout: expected one of /);
  });
});

describe('shared option groups', () => {
  const declared = (module: { register(program: Command): void }) => new Map(parsed(module).command.options.map((o) => [o.long!, o]));

  it('train and ablate declare the model-size, backend and CoCoDiff flags once: same help, parser and choices', () => {
    const [t, a] = [declared(train), declared(ablate)];
    const shared = ['--width', '--blocks', '--frames', '--backend', '--no-gen-ce', '--detach-branch', '--gen-t', '--eta', '--lambda-gen', '--lambda-coarse', '--denoiser-width', '--diffusion-steps', '--text', '--text-embeddings'];
    for (const flag of shared) {
      expect(t.get(flag), flag).toBeDefined();
      expect(a.get(flag)?.description, flag).toBe(t.get(flag)!.description);
      const refusal = (o: Option): unknown => {
        try {
          return o.parseArg?.('x', undefined);
        } catch (e) {
          return (e as Error).message;
        }
      };
      expect(refusal(a.get(flag)!), flag).toEqual(refusal(t.get(flag)!));
      expect(a.get(flag)?.argChoices, flag).toEqual(t.get(flag)!.argChoices);
    }
    // Which text each variant uses is what the ablation varies.
    expect(t.has('--no-fine-text') && t.has('--no-coarse-text')).toBe(true);
    expect(a.has('--no-fine-text') || a.has('--no-coarse-text')).toBe(false);
  });

  it('maps the CoCoDiff flags to the options they change, and only those', () => {
    const { flags } = parsed(ablate, '--gen-t', '50:60', '--eta', '0.5', '--no-gen-ce', '--denoiser-width', '64', '--branch-optimizer', 'adam');
    expect(cocodiffOverrides(flags as unknown as CoCoDiffFlags)).toEqual({ genT: [50, 60], eta: 0.5, genCe: false, denoiserWidth: 64, optimizer: 'adam' });
    expect(cocodiffOverrides(parsed(train).flags as unknown as CoCoDiffFlags)).toEqual({});
  });

  it('the default timestep range scales with --diffusion-steps, an explicit --gen-t stays', () => {
    const scaled = cocodiffOverrides(parsed(train, '--diffusion-steps', '100').flags as unknown as CoCoDiffFlags);
    expect(scaled).toEqual({ steps: 100, genT: DEFAULT_COCODIFF_OPTIONS.genT.map((t) => t / 10) });
    expect(cocodiffOverrides(parsed(train, '--diffusion-steps', '100', '--gen-t', '1:2').flags as unknown as CoCoDiffFlags)).toEqual({ steps: 100, genT: [1, 2] });
  });

  it('keeps the order of the flags ablate had first, which ablation.json compares as JSON', () => {
    const { flags } = parsed(ablate, '--no-gen-ce', '--unit-norm-output', '--eta', '0.1', '--denoiser-blocks', '2', '--lambda-fine', '2');
    expect(Object.keys(cocodiffOverrides(flags as unknown as CoCoDiffFlags))).toEqual(['denoiserBlocks', 'eta', 'unitNormOutput', 'genCe', 'lambdaFine']);
  });

  it('--reference-settings sets the reference\'s branch and backbone rate, and explicit flags still win', () => {
    const flags = (cmd: typeof train, ...args: string[]) => parsed(cmd, ...args).flags as unknown as CoCoDiffFlags & { batch?: number; lr?: number; preset?: 'synth-quick' | 'ucla' };
    const reference = flags(ablate, '--reference-settings');
    // Applied over the defaults, the overrides give exactly the reference's options.
    expect({ ...DEFAULT_COCODIFF_OPTIONS, ...cocodiffOverrides(reference) }).toEqual(REFERENCE_COCODIFF_OPTIONS);
    expect(cocodiffOverrides(reference)).toEqual({ lambdaGen: 0.5, lambdaCoarse: 0.5, lambdaGenWarmup: 0, coarseOn: 'features', coarseDim: 256 });
    expect(cocodiffOverrides(flags(train, '--reference-settings', '--lambda-gen', '2')).lambdaGen).toBe(2);
    // 0.1 × batch / 64, unless --lr; nothing under a recipe that is the authors' own (NTU's at any batch, NW-UCLA's below), so baselines stay shareable.
    expect(referenceSettingsLr(flags(train, '--reference-settings', '--preset', 'synth-quick', '--batch', '8'))).toBeCloseTo(0.0125, 12);
    expect(referenceSettingsLr(flags(train, '--reference-settings', '--preset', 'synth-quick', '--batch', '8', '--lr', '0.3'))).toBeUndefined();
    expect(referenceSettingsLr(flags(ablate, '--reference-settings', '--batch', '16'))).toBeUndefined();
    expect(referenceSettingsLr(flags(ablate, '--preset', 'synth-quick'))).toBeUndefined();
    // The reference trained NW-UCLA with the authors' recipe as is (lr 0.1 at batch 16), whatever the batch.
    expect(referenceSettingsLr(flags(ablate, '--reference-settings', '--preset', 'ucla'))).toBeUndefined();
    expect(referenceSettingsLr(flags(train, '--reference-settings', '--preset', 'ucla', '--batch', '8'))).toBeUndefined();
  });
});

describe('--run-one', () => {
  it('is parsed (the parent hands it to its children) but not shown in --help', () => {
    const { command, flags } = parsed(ablate, '--run-one', 'baseline@3');
    expect(flags.runOne).toBe('baseline@3');
    expect(command.helpInformation()).not.toContain('--run-one');
    expect(command.helpInformation()).toContain('--jobs');
  });
});
