/**
 * Training checkpoints: one directory per checkpoint, written with writeDirAtomic so a run killed
 * mid-write keeps a whole checkpoint (the previous one, or the new one if the swap was under way:
 * readers finish an interrupted swap first).
 *
 *   state.json    { format, version, ...caller's state, tensors: { group: [{ name, shape, dtype, offset, sha256 }] } }
 *   tensors.bin   every tensor of every group back to back, little-endian, 4 bytes per value
 *
 * Every tensor's bytes carry a sha256, checked on every read (`--resume`, `export`): a damaged
 * checkpoint is refused by tensor name instead of training on, or exporting, the damage.
 *
 * Groups keep the kinds of state apart (model weights with batch-norm statistics, momentum buffers,
 * CoCoDiff branch), so `export` reads the model group and never touches the rest. int32 tensors
 * (e.g. a generator's state words) are stored as such: a float32 round trip would lose their bits.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recoverDirAtomic, writeDirAtomic } from '../../common/atomic.ts';
import { sha256 } from '../../common/artifact.ts';
import { UserError, atField } from '../../common/errors.ts';

export const CHECKPOINT_FORMAT = 'cocodiff-checkpoint';
/** 2: every tensor has a sha256. */
export const CHECKPOINT_VERSION = 2;

export interface StateTensor {
  shape: number[];
  data: Float32Array | Int32Array;
}

export type TensorGroups = Record<string, Map<string, StateTensor>>;

interface TensorEntry {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  /** Byte offset in tensors.bin. */
  offset: number;
  /** sha256 of the tensor's bytes, hex. */
  sha256: string;
}


if (new Uint8Array(new Uint16Array([1]).buffer)[0] !== 1) throw new Error('checkpoints assume a little-endian machine');

export async function writeCheckpoint(dir: string, state: object, groups: TensorGroups): Promise<void> {
  const manifest: Record<string, TensorEntry[]> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [group, tensors] of Object.entries(groups)) {
    manifest[group] = [];
    for (const [name, t] of tensors) {
      const dtype = t.data instanceof Int32Array ? 'int32' : 'float32';
      const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
      manifest[group].push({ name, shape: [...t.shape], dtype, offset, sha256: sha256(bytes) });
      chunks.push(bytes);
      offset += t.data.byteLength;
    }
  }
  await writeDirAtomic(dir, async (tmp) => {
    await writeFile(join(tmp, 'tensors.bin'), Buffer.concat(chunks));
    await writeFile(join(tmp, 'state.json'), JSON.stringify({ format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...state, tensors: manifest }) + '\n');
  }, { kind: 'checkpoint', force: true });
}

export interface LoadedCheckpoint<S> {
  state: S;
  groups: TensorGroups;
}

/** True when `dir` holds a checkpoint (after finishing a swap a crash interrupted). */
export async function hasCheckpoint(dir: string): Promise<boolean> {
  await recoverDirAtomic(dir);
  return stat(join(dir, 'state.json')).then((st) => st.isFile(), () => false);
}

export async function readCheckpoint<S>(dir: string): Promise<LoadedCheckpoint<S>> {
  await recoverDirAtomic(dir);
  const jsonPath = join(dir, 'state.json');
  const binPath = join(dir, 'tensors.bin');
  let json: S & { format: string; version: number; tensors: Record<string, TensorEntry[]> };
  let bytes: Buffer;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8'));
    bytes = await readFile(binPath);
  } catch (err) {
    throw new UserError(`${dir}: cannot read the checkpoint (${(err as Error).message})`);
  }
  const need = (ok: unknown, field: string, what: string): void => {
    if (!ok) throw atField(jsonPath, field, what);
  };
  need(json && typeof json === 'object' && !Array.isArray(json), '(root)', 'expected a JSON object');
  need(json.format === CHECKPOINT_FORMAT, 'format', `expected "${CHECKPOINT_FORMAT}", found ${JSON.stringify(json.format)}`);
  need(json.version === CHECKPOINT_VERSION, 'version', json.version === 1
    ? 'version 1 checkpoints carry no checksums and cannot be verified; re-run the training with this cocodiff'
    : `expected ${CHECKPOINT_VERSION}, found ${JSON.stringify(json.version)}`);
  need(json.tensors && typeof json.tensors === 'object' && !Array.isArray(json.tensors), 'tensors', 'expected { group: [tensor, ...] }');
  const groups: TensorGroups = Object.create(null);
  for (const [group, entries] of Object.entries(json.tensors)) {
    need(Array.isArray(entries), `tensors.${group}`, 'expected a list of tensors');
    groups[group] = new Map();
    entries.forEach((e, i) => {
      const f = `tensors.${group}[${i}]`;
      need(e && typeof e === 'object' && typeof e.name === 'string', f, 'expected { name, shape, dtype, offset, sha256 }');
      need(Array.isArray(e.shape) && e.shape.every((d) => Number.isInteger(d) && d >= 0), `${f}.shape`, `tensor "${e.name}": expected non-negative integer dimensions`);
      need(e.dtype === 'float32' || e.dtype === 'int32', `${f}.dtype`, `tensor "${e.name}": expected "float32" or "int32", found ${JSON.stringify(e.dtype)}`);
      need(Number.isSafeInteger(e.offset) && e.offset >= 0, `${f}.offset`, `tensor "${e.name}": expected a non-negative integer`);
      need(typeof e.sha256 === 'string' && /^[0-9a-f]{64}$/.test(e.sha256), `${f}.sha256`, `tensor "${e.name}": expected a sha256 hex digest`);
      const n = e.shape.reduce((a, b) => a * b, 1);
      if (e.offset + 4 * n > bytes.length) throw atField(jsonPath, f, `tensor "${e.name}" ends past the end of ${binPath} (truncated checkpoint)`);
      const own = bytes.buffer.slice(bytes.byteOffset + e.offset, bytes.byteOffset + e.offset + 4 * n);
      if (sha256(new Uint8Array(own)) !== e.sha256) throw new UserError(`${binPath}: tensor "${e.name}" (group ${group}) does not match its sha256 in state.json (corrupted checkpoint)`);
      // A fresh, aligned buffer (the copy above): the tensor outlives the file's bytes.
      groups[group].set(e.name, { shape: e.shape, data: e.dtype === 'int32' ? new Int32Array(own) : new Float32Array(own) });
    });
  }
  const { tensors: _manifest, ...state } = json;
  return { state: state as unknown as S, groups };
}
