/**
 * Small real datasets that ship one clip per text file, as presets of `prepare clips` (clips.ts):
 * the file-name pattern, layout, classes, units and split each dataset's protocol uses.
 */
import { readFileSync } from 'node:fs';
import type { ClipsSpec } from './clips.ts';

/** Class k is the file names' action k + 1 (aAA, 1-based) of `names`. */
function byActionNumber(names: readonly string[]): Pick<ClipsSpec, 'classes' | 'classOf'> {
  return {
    classes: names,
    classOf: (label) => {
      const k = Number(label) - 1;
      return Number.isInteger(k) && k >= 0 && k < names.length ? k : undefined;
    },
  };
}

/** MSR Action3D's 20 actions, in its `action_names.mat` order (a01 … a20). */
export const MSR3D_CLASSES = [
  'high arm wave', 'horizontal arm wave', 'hammer', 'hand catch', 'forward punch', 'high throw', 'draw X', 'draw tick',
  'draw circle', 'hand clap', 'two hand wave', 'side boxing', 'bend', 'forward kick', 'side kick', 'jogging',
  'tennis swing', 'tennis serve', 'golf swing', 'pickup and throw',
];

/** The standard 557-clip list (reference/msr_action3d_files_used.txt). */
export function msr3dStandardList(): Set<string> {
  return new Set(readFileSync(new URL('./reference/msr_action3d_files_used.txt', import.meta.url), 'utf8').split(/\r?\n/).map((l) => l.trim()).filter(Boolean));
}

/**
 * MSR Action3D (`real_world_coordinates/aAA_sSS_eEE_skeleton3D.txt`, 20 rows `x y z c` per frame, metres):
 * the standard 557 clips, cross-subject (odd subjects train, even subjects test), layout msr20.
 */
export function msr3dSpec(root: string): ClipsSpec {
  return {
    root,
    pattern: /^a(?<label>\d{2})_s(?<subject>\d{2})_e(?<rep>\d{2})_skeleton3D\.txt$/,
    layout: 'msr20',
    splitBy: 'subject',
    testGroups: ['2', '4', '6', '8', '10'],
    ...byActionNumber(MSR3D_CLASSES),
    only: { names: new Set([...msr3dStandardList()].map((n) => `${n}_skeleton3D`)), what: 'the standard 557-clip list' },
    benchmark: 'msr3d-xsub',
  };
}

/** Florence 3D Actions' 9 actions (Seidenari et al., CVPRW 2013), a01 … a09. */
export const FLORENCE_CLASSES = ['wave', 'drink from a bottle', 'answer phone', 'clap', 'tight lace', 'sit down', 'stand up', 'read watch', 'bow'];

/**
 * Florence 3D Actions as one file per clip (`aAA_sS_idN.txt`, 15 rows `x y z` per frame, millimetres,
 * stored in metres), layout florence15; the test subjects are the caller's (the dataset has no fixed split).
 */
export function florenceSpec(root: string, testSubjects: readonly string[]): ClipsSpec {
  return {
    root,
    pattern: /^a(?<label>\d{2})_s(?<subject>\d{1,2})_id(?<rep>\d+)\.txt$/,
    layout: 'florence15',
    splitBy: 'subject',
    testGroups: testSubjects,
    ...byActionNumber(FLORENCE_CLASSES),
    scale: 0.001,
    benchmark: `florence-test-s${testSubjects.join('-')}`,
  };
}
