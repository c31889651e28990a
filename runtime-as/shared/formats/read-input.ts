/**
 * Node-only: reading a file a user named (a recording, a dataset's file, a cache, a description
 * file, a module). Only a regular file is read, and only up to a LIMITS size checked before the
 * first byte: a link to /dev/zero, a FIFO or a directory would otherwise be read forever, block, or
 * fail with a raw EISDIR. Every refusal is a UserError naming the path and what was expected.
 * The browser entry of the runtime never imports this module.
 */
import { constants } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { UserError } from '../errors.ts';
import { LIMITS } from '../limits.ts';
import { fsWords } from '../fs-causes.ts';

function refusal(path: string, what: string, err: unknown): UserError {
  return new UserError(`${path}: cannot read ${what} (${fsWords((err as NodeJS.ErrnoException).code) ?? ((err as NodeJS.ErrnoException).code || (err as Error).message)})`);
}

function kindOf(s: { isDirectory(): boolean; isCharacterDevice(): boolean; isBlockDevice(): boolean; isFIFO(): boolean; isSocket(): boolean }): string {
  if (s.isDirectory()) return fsWords('EISDIR')!;
  if (s.isCharacterDevice()) return 'a character device, not a regular file';
  if (s.isBlockDevice()) return 'a block device, not a regular file';
  if (s.isFIFO()) return 'a FIFO (named pipe), not a regular file';
  if (s.isSocket()) return 'a socket, not a regular file';
  return 'not a regular file';
}

/**
 * Opens `path` (links followed) and checks, on the open handle so nothing can be swapped in between,
 * that it is a regular file of at most `limit` bytes. O_NONBLOCK keeps the open of a FIFO from
 * waiting for a writer; on a regular file it changes nothing.
 */
async function openRegular(path: string, what: string, limit: number, limitName: string, optional: boolean): Promise<{ fh: FileHandle; size: number } | undefined> {
  let fh: FileHandle;
  try {
    fh = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (optional && (code === 'ENOENT' || code === 'ENOTDIR')) return undefined;
    throw refusal(path, what, err);
  }
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new UserError(`${path}: cannot read ${what} (${kindOf(st)})`);
    if (st.size > limit) throw new UserError(`${path}: cannot read ${what} (${st.size} bytes, more than the ${limit} allowed: LIMITS.${limitName})`);
    return { fh, size: st.size };
  } catch (err) {
    await fh.close();
    throw err instanceof UserError ? err : refusal(path, what, err);
  }
}

/**
 * The regular file `path`, opened for reading in parts (a zip, member by member), refused as
 * readInputBytes refuses (a directory, a device, a FIFO: never waited on); no size limit, since the
 * caller reads only what it checked against the file's size. The caller closes the handle.
 */
export async function openInputFile(path: string, what: string): Promise<{ fh: FileHandle; size: number }> {
  return (await openRegular(path, what, Number.POSITIVE_INFINITY, '', false))!;
}

/**
 * The bytes of the regular file `path`; `what` says what the file should be ("the recording").
 * Reads the size the file had when opened: a file that grows meanwhile cannot make it read on.
 */
export async function readInputBytes(path: string, what: string): Promise<Buffer<ArrayBuffer>> {
  return (await readBounded(path, what, LIMITS.inputFileBytes, 'inputFileBytes', false))!;
}

/** The text of the regular file `path` (UTF-8), at most LIMITS.inputTextBytes bytes. */
export async function readInputText(path: string, what: string): Promise<string> {
  return (await readBounded(path, what, LIMITS.inputTextBytes, 'inputTextBytes', false))!.toString('utf8');
}

/** The text of `path` as readInputText, or undefined when there is no such file (ENOENT, or a path through a file). */
export async function readOptionalInputText(path: string, what: string): Promise<string | undefined> {
  return (await readBounded(path, what, LIMITS.inputTextBytes, 'inputTextBytes', true))?.toString('utf8');
}

async function readBounded(path: string, what: string, limit: number, limitName: string, optional: boolean): Promise<Buffer<ArrayBuffer> | undefined> {
  const opened = await openRegular(path, what, limit, limitName, optional);
  if (!opened) return undefined;
  const { fh, size } = opened;
  try {
    // Not from the shared pool, as readFile: callers may view or transfer the whole ArrayBuffer.
    const buf = Buffer.allocUnsafeSlow(size);
    let got = 0;
    while (got < size) {
      const { bytesRead } = await fh.read(buf, got, size - got, got);
      if (bytesRead === 0) break; // truncated meanwhile: what is there
      got += bytesRead;
    }
    return got === size ? buf : Buffer.from(buf.subarray(0, got));
  } catch (err) {
    throw refusal(path, what, err);
  } finally {
    await fh.close();
  }
}
