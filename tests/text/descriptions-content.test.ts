// Content checks for the shipped class descriptions (the loader has its own tests).
// Reads the JSON directly so that a broken loader cannot hide a broken file.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SYNTH_CLASSES } from '../../trainer/data/synth/index.ts';
import { BODY_PARTS, MIN_COARSE } from '../../trainer/text/descriptions.ts';

const root = new URL('../../', import.meta.url);
const read = (rel: string) => readFileSync(new URL(rel, root), 'utf8');
const lines = (rel: string) => read(rel).split('\n').map((l) => l.trim()).filter(Boolean);

const DATASETS: { name: string; labels: string[] }[] = [
  { name: 'synthetic', labels: SYNTH_CLASSES.map((c) => c.label) },
  { name: 'ntu120', labels: lines('trainer/data/reference/nturgbd_120.txt') },
  { name: 'kinetics400', labels: lines('trainer/data/reference/kinetics400_label_map.txt') },
];

interface Entry { label: string; coarse: string[]; fine: Record<string, string> }

describe.each(DATASETS)('descriptions/$name.json', ({ name, labels }) => {
  const doc = JSON.parse(read(`trainer/text/descriptions/${name}.json`));
  const classes: Entry[] = doc.classes;

  it('has the documented header', () => {
    expect(doc.format).toBe('cocodiff-text');
    expect(doc.version).toBe(1);
    expect(doc.dataset).toBe(name);
  });

  it('lists exactly the reference labels, in order', () => {
    expect(classes.map((c) => c.label)).toEqual(labels);
  });

  it('gives every class its label first and at least 5 distinct paraphrases', () => {
    for (const c of classes) {
      expect(c.coarse[0], c.label).toBe(c.label);
      // Paraphrases are lowercase like the labels, so case never separates two phrases.
      for (const s of c.coarse.slice(1)) expect(s, c.label).toBe(s.toLowerCase());
      const phrases = c.coarse.map((s) => s.trim().toLowerCase());
      expect(phrases.every((s) => s.length > 0), c.label).toBe(true);
      expect(new Set(phrases).size, c.label).toBeGreaterThanOrEqual(MIN_COARSE);
    }
  });

  it('never gives one paraphrase to two classes (the coarse loss would pull them together)', () => {
    const owner = new Map<string, string>();
    const shared: string[] = [];
    for (const c of classes) {
      for (const s of new Set(c.coarse.map((p) => p.toLowerCase()))) {
        const other = owner.get(s);
        if (other !== undefined) shared.push(`"${s}": ${other} / ${c.label}`);
        owner.set(s, c.label);
      }
    }
    expect(shared).toEqual([]);
  });

  it('describes all six body parts with real sentences, not the bare label', () => {
    for (const c of classes) {
      expect(Object.keys(c.fine).sort(), c.label).toEqual([...BODY_PARTS].sort());
      for (const part of BODY_PARTS) {
        const text = c.fine[part].trim();
        expect(text.split(/\s+/).length, `${c.label}.${part}`).toBeGreaterThanOrEqual(6);
        expect(text.toLowerCase(), `${c.label}.${part}`).not.toBe(c.label.toLowerCase());
      }
    }
  });

  it('is not a template: no sentence (with its label masked) recurs across more than 3 classes', () => {
    const classesBySentence = new Map<string, Set<string>>();
    for (const c of classes) {
      for (const part of BODY_PARTS) {
        const masked = c.fine[part].toLowerCase().split(c.label.toLowerCase()).join('<label>');
        const owners = classesBySentence.get(masked) ?? new Set<string>();
        owners.add(c.label);
        classesBySentence.set(masked, owners);
      }
    }
    const templated = [...classesBySentence].filter(([, owners]) => owners.size > 3).map(([s]) => s);
    expect(templated).toEqual([]);
  });

  it('writes each class its own fine text: no two classes share all six sentences', () => {
    const signatures = classes.map((c) => BODY_PARTS.map((p) => c.fine[p]).join('\n'));
    expect(new Set(signatures).size).toBe(classes.length);
  });
});
