import { describe, expect, it } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { checkHeader, fieldChecks, parseJson, type Header } from 'cocodiff-runtime/shared/json-fields';

const header: Header = { format: 'cocodiff-thing', version: 3, what: 'thing', older: { 2: 'version 2 things are upside down' } };

function refusal(doc: unknown, h = header): string {
  try {
    checkHeader(doc, fieldChecks('x/thing.json'), h);
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  return 'accepted';
}

describe('JSON field checks', () => {
  it('name the file and the field in every refusal', () => {
    expect(() => fieldChecks('a.json')(false, 'splits.train', 'expected { file, samples }')).toThrow(/^a\.json: field "splits\.train": expected \{ file, samples \}$/);
    expect(() => fieldChecks('a.json')(1, 'x', 'never')).not.toThrow();
    expect(() => parseJson('{"a": ', 'a.json')).toThrow(/^a\.json: not valid JSON \(/);
  });

  it('read JSON that starts with a UTF-8 byte-order mark (a Kinetics clip saved on Windows: sweep probe P53), and no other stray character', () => {
    expect(parseJson('\ufeff{"data": [1]}', 'clip.json')).toEqual({ data: [1] });
    expect(() => parseJson('\ufeff\ufeff{}', 'clip.json')).toThrow(/^clip\.json: not valid JSON/);
  });

  it('open every format the same way: a JSON object, its format, a version this build reads', () => {
    expect(refusal({ format: 'cocodiff-thing', version: 3 })).toBe('accepted');
    expect(refusal([1])).toBe('x/thing.json: field "(root)": expected a JSON object');
    expect(refusal({ format: 'cocodiff-other', version: 3 })).toBe('x/thing.json: field "format": expected "cocodiff-thing", found "cocodiff-other"');
    expect(refusal({ format: 'cocodiff-thing', version: 4 })).toBe('x/thing.json: field "version": this cocodiff reads thing version 3, found 4');
    expect(refusal({ format: 'cocodiff-thing' })).toBe('x/thing.json: field "version": this cocodiff reads thing version 3, found undefined');
    expect(refusal({ format: 'cocodiff-thing', version: 2 })).toBe('x/thing.json: field "version": version 2 things are upside down');
    expect(refusal({ format: 'cocodiff-thing', version: 'x' }, { format: 'cocodiff-thing' })).toBe('accepted');
  });
});
