/**
 * A SentencePiece-style unigram tokenizer for the Universal Sentence Encoder lite vocabulary
 * (`vocab.json`: [piece, log-probability] pairs; "▁" marks the start of a word).
 *
 * The text is NFKC-normalised, its spaces become "▁" and a "▁" is put in front, then Viterbi picks the
 * segmentation whose pieces have the highest total log-probability. A character no piece covers becomes
 * the unknown id (0); runs of unknowns collapse into one, as SentencePiece does.
 */
export const WORD_START = '\u2581';
/** ids 0..5 are control symbols (unknown, <s>, </s>, extra ids) that never match text. */
const RESERVED = 6;
export const UNKNOWN_ID = 0;

export class Tokenizer {
  private readonly pieces = new Map<string, { id: number; score: number }>();
  private readonly maxPieceLength: number;
  /** Below every real piece, so an unknown character is chosen only when nothing else fits. */
  private readonly unknownScore: number;

  constructor(private readonly vocab: ReadonlyArray<readonly [string, number]>) {
    let maxLen = 1;
    let minScore = 0;
    vocab.forEach(([piece, score], id) => {
      if (id < RESERVED) return;
      this.pieces.set(piece, { id, score });
      maxLen = Math.max(maxLen, [...piece].length);
      minScore = Math.min(minScore, score);
    });
    this.maxPieceLength = maxLen;
    this.unknownScore = minScore - 10;
  }

  /** The text as the model sees it before segmentation. */
  static normalise(text: string): string {
    const words = text.normalize('NFKC').trim().split(/\s+/).filter((w) => w !== '');
    return words.length === 0 ? '' : WORD_START + words.join(WORD_START);
  }

  /** Piece ids of the best-scoring segmentation. */
  encode(text: string): number[] {
    const chars = [...Tokenizer.normalise(text)];
    const n = chars.length;
    // best[i]: highest total score of a segmentation of chars[0, i); from[i]: where its last piece starts.
    const best = new Float64Array(n + 1).fill(-Infinity);
    const from = new Int32Array(n + 1);
    const idAt = new Int32Array(n + 1);
    best[0] = 0;
    for (let i = 0; i < n; i++) {
      if (best[i] === -Infinity) continue;
      let piece = '';
      for (let len = 1; len <= this.maxPieceLength && i + len <= n; len++) {
        piece += chars[i + len - 1];
        const p = this.pieces.get(piece);
        if (p && best[i] + p.score > best[i + len]) {
          best[i + len] = best[i] + p.score;
          from[i + len] = i;
          idAt[i + len] = p.id;
        }
      }
      if (best[i] + this.unknownScore > best[i + 1]) {
        best[i + 1] = best[i] + this.unknownScore;
        from[i + 1] = i;
        idAt[i + 1] = UNKNOWN_ID;
      }
    }
    const ids: number[] = [];
    for (let end = n; end > 0; end = from[end]) ids.push(idAt[end]);
    ids.reverse();
    return ids.filter((id, k) => !(id === UNKNOWN_ID && ids[k - 1] === UNKNOWN_ID));
  }

  /** The pieces themselves (for debugging and tests). */
  pieceStrings(text: string): string[] {
    return this.encode(text).map((id) => this.vocab[id][0]);
  }
}
