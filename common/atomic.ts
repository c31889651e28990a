import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { randomBytes } from 'node:crypto';

function tmpName(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Writes a file so that readers see either the old content or the new one, never a half. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = tmpName(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/**
 * Builds a whole directory in a temporary sibling, then swaps it into place. A run killed
 * half-way leaves only a `.tmp` sibling (ignored, removed by the next run), never a half directory.
 */
export async function writeDirAtomic(dir: string, fill: (tmpDir: string) => Promise<void>): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const tmp = tmpName(dir);
  const old = tmpName(dir);
  await mkdir(tmp, { recursive: true });
  try {
    await fill(tmp);
    let hadOld = false;
    try {
      await rename(dir, old);
      hadOld = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await rename(tmp, dir);
    if (hadOld) await rm(old, { recursive: true, force: true });
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
