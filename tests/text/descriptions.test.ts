import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { SYNTH_CLASSES } from '../../trainer/data/synth/index.ts';
import { FLORENCE_CLASSES, MSR3D_CLASSES } from '../../trainer/data/clip-presets.ts';
import { UCLA_ACTIONS } from '../../trainer/data/ucla.ts';
import {
  BODY_PARTS, MIN_COARSE, descriptionsFor, loadDescriptions, selectClasses, validateDescriptions,
} from '../../trainer/text/descriptions.ts';

const root = new URL('../../', import.meta.url);
const referenceLines = (rel: string) =>
  readFileSync(new URL(rel, root), 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
const NTU120 = referenceLines('trainer/data/reference/nturgbd_120.txt');

const good = () => ({
  format: 'cocodiff-text',
  version: 1,
  dataset: 'mine',
  classes: [
    { label: 'jump', coarse: ['jump', 'hop'], fine: Object.fromEntries(BODY_PARTS.map((p) => [p, `${p} moves up`])) },
    { label: 'kick', coarse: ['kick'], fine: Object.fromEntries(BODY_PARTS.map((p) => [p, `${p} swings`])) },
  ],
});

function expectUserError(fn: () => unknown, ...patterns: RegExp[]) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(UserError);
  for (const p of patterns) expect((err as Error).message).toMatch(p);
}

describe('the project\'s descriptions', () => {
  const builtin: Array<[string, string[]]> = [
    ['synthetic', SYNTH_CLASSES.map((c) => c.label)],
    ['ntu120', NTU120],
    ['ntu60', NTU120.slice(0, 60)],
    ['kinetics400', referenceLines('trainer/data/reference/kinetics400_label_map.txt')],
    ['nw-ucla', UCLA_ACTIONS.map((a) => a.name)],
    ['msr3d', MSR3D_CLASSES],
    ['florence3d', FLORENCE_CLASSES],
  ];
  it.each(builtin)('%s covers every class with ≥ 6 coarse phrases and all six body parts', async (name, labels) => {
    const d = await loadDescriptions(name);
    const text = selectClasses(d, labels, name);
    expect(text.length).toBe(labels.length);
    for (const c of text) {
      expect(c.coarse.length).toBeGreaterThanOrEqual(MIN_COARSE);
      expect(c.coarse[0].toLowerCase()).toBe(c.label.toLowerCase());
      for (const p of BODY_PARTS) expect(c.fine[p].length).toBeGreaterThan(10);
    }
  });

  it('finds the dataset whose labels match the training classes', async () => {
    expect((await descriptionsFor(SYNTH_CLASSES.slice(0, 5).map((c) => c.label))).dataset).toBe('synthetic');
    const kinetics = referenceLines('trainer/data/reference/kinetics400_label_map.txt');
    expect((await descriptionsFor(kinetics)).dataset).toBe('kinetics400');
    const ntu = await descriptionsFor(NTU120.slice(0, 60));
    expect(ntu.dataset).toBe('ntu120');
    expect(ntu.classes.map((c) => c.label)).toEqual(NTU120.slice(0, 60));
    // The small real datasets' caches find their own text (their names overlap: sit down, stand up, clap).
    expect((await descriptionsFor(UCLA_ACTIONS.map((a) => a.name))).dataset).toBe('nw-ucla');
    expect((await descriptionsFor(MSR3D_CLASSES)).dataset).toBe('msr3d');
    expect((await descriptionsFor(FLORENCE_CLASSES)).dataset).toBe('florence3d');
    await expect(descriptionsFor(['juggle flaming torches'])).rejects.toThrow(/juggle flaming torches/);
  });
});

describe('descriptions validation', () => {
  it('accepts a minimal user file and matches labels regardless of case and punctuation', () => {
    const d = validateDescriptions(good(), 'mine.json');
    expect(selectClasses(d, ['Kick.', 'JUMP'], 'mine.json').map((c) => c.label)).toEqual(['kick', 'jump']);
  });

  it('names the file and field of each mistake', () => {
    const dup = good();
    dup.classes[1].label = 'Jump';
    expectUserError(() => validateDescriptions(dup, 'd.json'), /d\.json/, /classes\[1\]\.label/, /duplicate/);

    const empty = good();
    empty.classes[0].fine.legs = '  ';
    expectUserError(() => validateDescriptions(empty, 'e.json'), /e\.json/, /classes\[0\]\.fine\.legs/, /non-empty/);

    const emptyCoarse = good();
    emptyCoarse.classes[1].coarse = ['kick', ''];
    expectUserError(() => validateDescriptions(emptyCoarse, 'c.json'), /classes\[1\]\.coarse\[1\]/);

    const wrongPart = good();
    (wrongPart.classes[0].fine as Record<string, string>).torso = 'bends';
    expectUserError(() => validateDescriptions(wrongPart, 'p.json'), /classes\[0\]\.fine\.torso/, /unknown body part/);

    const missingPart = good();
    delete (missingPart.classes[0].fine as Record<string, string>).feet;
    expectUserError(() => validateDescriptions(missingPart, 'm.json'), /classes\[0\]\.fine\.feet/);

    expectUserError(() => validateDescriptions({ ...good(), format: 'other' }, 'f.json'), /field "format"/);
    expectUserError(() => validateDescriptions(good(), 'x.json', MIN_COARSE), /classes\[0\]\.coarse/, /at least 5 synonyms/);
  });

  it('reports a training class the file lacks', () => {
    const d = validateDescriptions(good(), 'mine.json');
    expectUserError(() => selectClasses(d, ['jump', 'clap'], 'mine.json'), /mine\.json/, /"clap"/);
  });

  it('reports unreadable and malformed files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cocodiff-desc-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"format": ');
    await expect(loadDescriptions(bad)).rejects.toThrow(/bad\.json: not valid JSON/);
    await expect(loadDescriptions(join(dir, 'none.json'))).rejects.toThrow(/none\.json: cannot read/);
  });
});
