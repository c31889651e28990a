/**
 * A disk that fails as a full, read-only or forbidden one does, for tests that cannot make a real
 * one (they may run as root, whom chmod does not stop, and cannot mount a small file system). The
 * failure is injected into node:fs's own functions, so the code under test, which imported them by
 * name, sees it: fs/promises' writeFile and mkdir, and the fs.write/writev that write streams call.
 */
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import { syncBuiltinESMExports } from 'node:module';

export type DiskFailure = 'ENOSPC' | 'EDQUOT' | 'EROFS' | 'EACCES';

const original = { writeFile: fsp.writeFile, mkdir: fsp.mkdir, write: fs.write, writev: fs.writev };

function failure(code: DiskFailure, syscall: string, path?: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected, ${syscall}${path ? ` '${path}'` : ''}`), { code, syscall, ...(path ? { path } : {}) });
}

/**
 * From now on, writes fail with `code` once `bytes` bytes have been written (a disk filling up:
 * the first writes succeed, leaving a partial temporary). A read-only or forbidden folder
 * (EROFS, EACCES) also refuses mkdir. Undo with restoreDisk().
 */
export function failDisk(code: DiskFailure, bytes = 0): void {
  let left = bytes;
  const take = (n: number): boolean => {
    if (left < n) return false;
    left -= n;
    return true;
  };
  fsp.writeFile = (async (path, data, opts) => {
    if (!take(typeof data === 'string' ? Buffer.byteLength(data) : (data as Uint8Array).byteLength ?? 0)) throw failure(code, 'open', String(path));
    return original.writeFile(path, data, opts);
  }) as typeof fsp.writeFile;
  if (code === 'EROFS' || code === 'EACCES') {
    fsp.mkdir = (async (path: fs.PathLike) => {
      throw failure(code, 'mkdir', String(path));
    }) as typeof fsp.mkdir;
  }
  fs.write = ((fd: number, buffer: Uint8Array, ...rest: unknown[]) => {
    const callback = rest[rest.length - 1] as (err: Error | null, written?: number) => void;
    if (!take(buffer.byteLength)) return process.nextTick(callback, failure(code, 'write'));
    return (original.write as (...a: unknown[]) => void)(fd, buffer, ...rest);
  }) as typeof fs.write;
  fs.writev = ((fd: number, buffers: Uint8Array[], ...rest: unknown[]) => {
    const callback = rest[rest.length - 1] as (err: Error | null, written?: number) => void;
    if (!take(buffers.reduce((n, b) => n + b.byteLength, 0))) return process.nextTick(callback, failure(code, 'write'));
    return (original.writev as (...a: unknown[]) => void)(fd, buffers, ...rest);
  }) as typeof fs.writev;
  syncBuiltinESMExports();
}

export function restoreDisk(): void {
  Object.assign(fsp, { writeFile: original.writeFile, mkdir: original.mkdir });
  Object.assign(fs, { write: original.write, writev: original.writev });
  syncBuiltinESMExports();
}
