/**
 * Kinetics-Skeleton's class names and per-split label files (the videos' JSON is read by
 * runtime-as/shared/formats/kinetics.ts, shared with the runtime host).
 */
import { readFileSync } from 'node:fs';
import { atField } from 'cocodiff-runtime/shared/errors';
import { parseJson } from 'cocodiff-runtime/shared/json-fields';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';

export interface KineticsLabel {
  has_skeleton: boolean;
  label: string;
  label_index: number;
}

export function kineticsClassNames(): string[] {
  return readFileSync(new URL('./reference/kinetics400_label_map.txt', import.meta.url), 'utf8').split(/\r?\n/).filter((l) => l.trim() !== '');
}

/** Reads a split's label file (video id → { has_skeleton, label, label_index }), checking every entry. */
export async function readKineticsLabels(path: string, classes: number): Promise<Map<string, KineticsLabel>> {
  const doc = parseJson(await readInputText(path, 'the Kinetics-Skeleton label file of this split'), path);
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw atField(path, '(root)', 'expected an object mapping video id to { has_skeleton, label, label_index }');
  const out = new Map<string, KineticsLabel>();
  for (const [id, v] of Object.entries(doc as Record<string, unknown>)) {
    const e = v as Partial<KineticsLabel>;
    if (!e || typeof e.has_skeleton !== 'boolean') throw atField(path, `${id}.has_skeleton`, 'expected true or false');
    const li = e.label_index;
    if (typeof li !== 'number' || !Number.isInteger(li) || li < 0 || li >= classes) throw atField(path, `${id}.label_index`, `expected an integer in 0..${classes - 1}, found ${JSON.stringify(li)}`);
    out.set(id, { has_skeleton: e.has_skeleton, label: String(e.label ?? ''), label_index: li });
  }
  return out;
}
