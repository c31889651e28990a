/** What a parsed recording must be, whatever file it came from. */
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { wellFormed } from '../harness.ts';

export function checkSequence(s: Sequence): void {
  const want = s.frames * s.persons * s.joints * s.coords;
  wellFormed(Number.isInteger(s.frames) && s.frames >= 1, `frames ${s.frames}`);
  wellFormed(s.data instanceof Float32Array && s.data.length === want, `${s.data.length} values for ${s.frames} × ${s.persons} × ${s.joints} × ${s.coords}`);
  wellFormed(s.data.every(Number.isFinite), 'a non-finite value');
}
