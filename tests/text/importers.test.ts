import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { importDescriptions, parseParts, parseSynonyms } from '../../trainer/text/importers.ts';

const SYNONYMS = 'drink water,sip water, have a drink, drink water\n\n# comment\nkick something,kick, boot something\n';
const PARTS =
  'drink water;head tilts back;hand grips a cup;arm lifts the cup;hips stay still;legs stand;feet planted\r\n' +
  'kick something;head faces forward;hands balance;arms swing;hips rotate;one leg swings forward;foot strikes\r\n';

function files(synonyms: string, parts: string) {
  const dir = mkdtempSync(join(tmpdir(), 'cocodiff-import-'));
  writeFileSync(join(dir, 'syn.txt'), synonyms);
  writeFileSync(join(dir, 'parts.txt'), parts);
  return { synonymsFile: join(dir, 'syn.txt'), partsFile: join(dir, 'parts.txt') };
}

describe('importers for label,synonym and label;part files', () => {
  it('builds a cocodiff-text document with the label first and parts in body order', async () => {
    const d = await importDescriptions({ ...files(SYNONYMS, PARTS), dataset: 'mine' });
    expect(d.format).toBe('cocodiff-text');
    expect(d.classes.map((c) => c.label)).toEqual(['drink water', 'kick something']);
    expect(d.classes[0].coarse).toEqual(['drink water', 'sip water', 'have a drink']); // repeated label dropped
    expect(d.classes[1].fine).toEqual({
      head: 'head faces forward', hands: 'hands balance', arms: 'arms swing', hips: 'hips rotate', legs: 'one leg swings forward', feet: 'foot strikes',
    });
  });

  it('selects and orders the training classes', async () => {
    const d = await importDescriptions({ ...files(SYNONYMS, PARTS), dataset: 'mine', classes: ['Kick something', 'drink water'] });
    expect(d.classes.map((c) => c.label)).toEqual(['Kick something', 'drink water']);
  });

  it('errors name the file and line', () => {
    expect(() => parseParts('jump;a;b;c;d;e\n', 'parts.txt')).toThrow(/parts\.txt:1: expected the label and 6 ";"-separated fields, got 5/);
    expect(() => parseParts('jump;a;b;;d;e;f\n', 'parts.txt')).toThrow(/parts\.txt:1: field 4 is empty/);
    expect(() => parseSynonyms('jump,hop\nkick,boot\nJump,leap\n', 'syn.txt')).toThrow(/syn\.txt:3: duplicate label "Jump" \(first on line 1\)/);
    expect(() => parseSynonyms('\n# nothing\n', 'syn.txt')).toThrow(/syn\.txt: no class lines/);
  });

  it('reports a class missing from either file', async () => {
    await expect(importDescriptions({ ...files('drink water,sip\n', PARTS), dataset: 'x' })).rejects.toThrow(/syn\.txt: no line for class "kick something"/);
    await expect(importDescriptions({ ...files(SYNONYMS, PARTS), dataset: 'x', classes: ['clap'] })).rejects.toThrow(/parts\.txt: no line for class "clap"/);
  });
});
