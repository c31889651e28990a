import { describe, expect, it } from 'vitest';
import { loadVocabulary } from '../../trainer/text/encoder.ts';
import { Tokenizer, UNKNOWN_ID, WORD_START } from '../../trainer/text/tokenizer.ts';

const W = WORD_START;

describe('tokenizer on a small vocabulary', () => {
  // ids 0..5 are control symbols, never matched against text.
  const reserved: Array<[string, number]> = [['<unk>', 0], ['<s>', 0], ['</s>', 0], ['x1', 0], ['x2', 0], ['x3', 0]];
  const vocab: Array<[string, number]> = [...reserved, [`${W}ab`, -1], ['c', -1], [`${W}abc`, -5], [`${W}a`, -1], ['b', -1], [W, -2]];
  const tk = new Tokenizer(vocab);

  it('normalises spaces into word starts', () => {
    expect(Tokenizer.normalise('  ab   c ')).toBe(`${W}ab${W}c`);
    expect(Tokenizer.normalise('')).toBe('');
  });

  it('picks the best-scoring segmentation, not the longest first piece', () => {
    // ▁abc alone scores −5; ▁ab + c scores −2.
    expect(tk.pieceStrings('abc')).toEqual([`${W}ab`, 'c']);
  });

  it('maps uncovered characters to the unknown id, one id per run', () => {
    expect(tk.encode('ab zz')).toEqual([6, 11, UNKNOWN_ID]);
  });
});

describe('tokenizer on the USE-lite vocabulary', async () => {
  const vocab = await loadVocabulary();
  const tk = new Tokenizer(vocab);

  it('keeps common words whole', () => {
    expect(tk.pieceStrings('drink water')).toEqual([`${W}drink`, `${W}water`]);
    expect(tk.pieceStrings('kick something')).toEqual([`${W}kick`, `${W}something`]);
  });

  it('splits rare words into known pieces that spell the word', () => {
    const pieces = tk.pieceStrings('unbelievable');
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(`${W}unbelievable`);
  });
});
