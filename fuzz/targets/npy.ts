/** `.npy` arrays: parsed whole (parseNpy), and row by row from a chunked stream (NpyRowReader, as `prepare npz` reads). */
import { elementCount, NpyRowReader, parseNpy } from 'cocodiff-runtime/shared/formats/npy';
import { binaryInputs, showBytes, wellFormed, type FuzzTarget } from '../harness.ts';

/** Rows read from the stream: enough to cross chunk boundaries, bounded however many the header claims. */
const ROWS = 16;

async function* chunks(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 37) yield bytes.subarray(at, at + 37);
}

export const npyTarget: FuzzTarget = {
  name: 'npy',
  parser: 'runtime-as/shared/formats/npy.ts parseNpy, NpyRowReader',
  inputs: binaryInputs,
  async run(bytes) {
    let whole: Error | undefined;
    try {
      const a = parseNpy(bytes, 'fuzz.npy');
      wellFormed(a.data.length === elementCount(a.shape) && a.data.every(Number.isFinite), `shape (${a.shape}) with ${a.data.length} values`);
    } catch (err) {
      whole = err as Error;
    }
    const reader = await NpyRowReader.open(chunks(bytes), 'fuzz.npy');
    try {
      for (let r = 0; r < Math.min(reader.rows, ROWS); r++) {
        const row = await reader.readRow(r);
        wellFormed(row.length === reader.rowElements, `row ${r} of ${row.length} values, expected ${reader.rowElements}`);
      }
    } finally {
      await reader.close();
    }
    if (whole) throw whole;
  },
  show: showBytes,
};
