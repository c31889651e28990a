import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, afterAll, describe, expect, it } from 'vitest';
import { encodeCached } from '../../trainer/text/class-embeddings.ts';
import { cosine, loadUseLite, USE_LITE_DIM, type TextEncoder } from '../../trainer/text/encoder.ts';

describe('Universal Sentence Encoder lite', () => {
  let enc: TextEncoder;
  beforeAll(async () => {
    enc = await loadUseLite();
  }, 120_000);
  afterAll(() => enc.dispose());

  it('gives unit 512-d vectors', async () => {
    const [v] = await enc.embed(['raise both arms']);
    expect(v.length).toBe(USE_LITE_DIM);
    expect(Math.hypot(...v)).toBeCloseTo(1, 3);
  });

  it('scores related phrases above unrelated ones', async () => {
    const [drink, sip, kick, punch, wave, clap] = await enc.embed([
      'drink water', 'sip a drink', 'kick something', 'punch someone', 'wave a hand', 'clap hands',
    ]);
    expect(cosine(drink, sip)).toBeGreaterThan(cosine(drink, kick));
    expect(cosine(kick, punch)).toBeGreaterThan(cosine(kick, drink));
    expect(cosine(wave, clap)).toBeGreaterThan(cosine(wave, drink));
  });

  it('encodes each phrase once: a second run reads the run folder cache', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'cocodiff-text-')), 'text-embeddings.json');
    let calls = 0;
    const counting = async (): Promise<TextEncoder> => ({
      ...enc,
      embed: (s) => ((calls += s.length), enc.embed(s)),
      dispose() {},
    });
    const first = await encodeCached(['jump', 'hop'], file, 'use', counting);
    expect(calls).toBe(2);
    const again = await encodeCached(['hop', 'jump', 'leap'], file, 'use', counting);
    expect(calls).toBe(3); // only "leap" was new
    expect(Array.from(again.get('jump')!)).toEqual(Array.from(first.get('jump')!));
    // A different encoder never reuses these vectors.
    await encodeCached(['jump'], file, 'other-encoder', counting);
    expect(calls).toBe(4);
  });
});
