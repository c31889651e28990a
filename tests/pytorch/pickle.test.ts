/** The safe unpickler on hand-assembled pickles: the data it builds, and what it refuses. */
import { describe, expect, it } from 'vitest';
import { PyGlobal, unpickle, type AllowedGlobal } from '../../trainer/pytorch/pickle.ts';

const globals = new Map<string, AllowedGlobal>([
  ['torch.FloatStorage', { value: new PyGlobal('torch', 'FloatStorage') }],
  ['collections.OrderedDict', { call: () => new Map() }],
]);
const run = (text: string, persistentLoad = (pid: unknown) => ({ pid })) =>
  unpickle(Buffer.from(text, 'latin1'), { globals, allowedSummary: 'only the test\'s globals', persistentLoad: persistentLoad as never, source: 'x.pkl' });
const refusal = (text: string): string => {
  try {
    run(text);
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
};

describe('unpickle', () => {
  it('builds dicts, lists, tuples, numbers and strings, with the memo shared by reference', () => {
    // {'a': [1, -2, 3.5, True, None], 'b': (the same list), 'c': 2**70, 'd': b'\x01'}
    const value = run(
      '\x80\x02}q\x00(X\x01\x00\x00\x00a]q\x01(K\x01J\xfe\xff\xff\xffG@\x0c\x00\x00\x00\x00\x00\x00\x88Ne' +
      'X\x01\x00\x00\x00bh\x01\x85X\x01\x00\x00\x00c\x8a\x09\x00\x00\x00\x00\x00\x00\x00\x00\x40' +
      'X\x01\x00\x00\x00dC\x01\x01u.',
    ) as Map<string, unknown>;
    expect(value.get('a')).toEqual([1, -2, 3.5, true, null]);
    expect((value.get('b') as unknown[])[0]).toBe(value.get('a'));
    expect(value.get('c')).toBe(2n ** 70n);
    expect(value.get('d')).toEqual(Uint8Array.from([1]));
  });

  it('reads protocol 4 (FRAME, SHORT_BINUNICODE, STACK_GLOBAL, MEMOIZE) and calls an allowed function', () => {
    const value = run('\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00\x8c\x0bcollections\x94\x8c\x0bOrderedDict\x94\x93\x94)R\x94.');
    expect(value).toEqual(new Map());
  });

  it('hands persistent ids to the caller', () => {
    expect(run('\x80\x02(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000tQ.')).toEqual({ pid: ['storage', new PyGlobal('torch', 'FloatStorage'), '0'] });
  });

  it('refuses any other global by name, before anything could use it', () => {
    expect(refusal('\x80\x02cbuiltins\neval\nX\x04\x00\x00\x00exit\x85R.')).toBe('x.pkl: refuses the global "builtins.eval": only the test\'s globals; nothing in the file was run (opcode at byte 2)');
    expect(refusal('\x80\x04\x8c\x02os\x8c\x06system\x93.')).toMatch(/refuses the global "os\.system"/);
  });

  it('refuses to call a global allowed only as a value', () => {
    expect(refusal('\x80\x02ctorch\nFloatStorage\n)R.')).toMatch(/refuses to call "torch\.FloatStorage" \(it is allowed as a value only\)/);
  });

  it('refuses object construction, and says where a pickle is corrupt or truncated', () => {
    expect(refusal('\x80\x02ctorch\nFloatStorage\n)\x81.')).toMatch(/an object is constructed \(NEWOBJ\/INST\/OBJ\)/);
    expect(refusal('\x80\x02}(X\x01\x00\x00\x00aK')).toBe('x.pkl: the pickle is truncated (it ends before its STOP opcode) (opcode at byte 10)');
    expect(refusal('\x80\x02\xff.')).toBe('x.pkl: unknown or unsupported pickle opcode 0xff (opcode at byte 2)');
    expect(refusal('\x80\x02h\x05.')).toMatch(/memo entry 5 is read before it is written/);
    expect(refusal('\x80\x02s.')).toMatch(/stack underflow/);
  });
});
