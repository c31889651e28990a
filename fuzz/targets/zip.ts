/** The zip reader under `.npz` and `.pt`: the central directory, then every member read whole and streamed. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ZipArchive } from '../../trainer/data/npz.ts';
import { binaryInputs, showBytes, wellFormed, type FuzzTarget } from '../harness.ts';

// The reader takes a path (it reads byte ranges, never the whole file): one scratch file per process.
let scratch: string | undefined;

export const zipTarget: FuzzTarget = {
  name: 'zip',
  parser: 'trainer/data/npz.ts ZipArchive (open, read, stream)',
  inputs: binaryInputs,
  async run(bytes) {
    scratch ??= join(mkdtempSync(join(tmpdir(), 'cocodiff-fuzz-zip-')), 'input.zip');
    writeFileSync(scratch, bytes);
    const zip = await ZipArchive.open(scratch);
    try {
      for (const e of zip.entries.slice(0, 8)) {
        wellFormed(e.size >= 0 && e.compressedSize >= 0 && e.localHeaderOffset + e.compressedSize <= bytes.length, `member "${e.name}" outside the file`);
        const whole = await zip.read(e);
        wellFormed(whole.length === e.size, `read() gave ${whole.length} bytes of ${e.size}`);
        let streamed = 0;
        for await (const chunk of zip.stream(e)) streamed += chunk.length;
        wellFormed(streamed === e.size, `stream() gave ${streamed} bytes of ${e.size}`);
      }
    } finally {
      await zip.close();
    }
  },
  show: showBytes,
};
