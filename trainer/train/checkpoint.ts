/**
 * Training checkpoints: one directory per checkpoint, written with writeDirAtomic so a run killed
 * mid-write keeps the previous checkpoint whole.
 *
 *   state.json    { format, version, ...caller's state, tensors: { group: [{ name, shape, dtype, offset }] } }
 *   tensors.bin   every tensor of every group back to back, little-endian, 4 bytes per value
 *
 * Groups keep the kinds of state apart (model weights with batch-norm statistics, momentum buffers,
 * CoCoDiff branch), so `export` reads the model group and never touches the rest. int32 tensors
 * (e.g. a generator's state words) are stored as such: a float32 round trip would lose their bits.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDirAtomic } from '../../common/atomic.ts';
import { UserError, atField } from '../../common/errors.ts';

export const CHECKPOINT_FORMAT = 'cocodiff-checkpoint';
export const CHECKPOINT_VERSION = 1;

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
      manifest[group].push({ name, shape: [...t.shape], dtype, offset });
      chunks.push(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      offset += t.data.byteLength;
    }
  }
  await writeDirAtomic(dir, async (tmp) => {
    await writeFile(join(tmp, 'tensors.bin'), Buffer.concat(chunks));
    await writeFile(join(tmp, 'state.json'), JSON.stringify({ format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, ...state, tensors: manifest }) + '\n');
  });
}

export interface LoadedCheckpoint<S> {
  state: S;
  groups: TensorGroups;
}

export async function readCheckpoint<S>(dir: string): Promise<LoadedCheckpoint<S>> {
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
  if (json.format !== CHECKPOINT_FORMAT) throw atField(jsonPath, 'format', `expected "${CHECKPOINT_FORMAT}", found ${JSON.stringify(json.format)}`);
  if (json.version !== CHECKPOINT_VERSION) throw atField(jsonPath, 'version', `expected ${CHECKPOINT_VERSION}, found ${JSON.stringify(json.version)}`);
  const groups: TensorGroups = {};
  for (const [group, entries] of Object.entries(json.tensors ?? {})) {
    groups[group] = new Map();
    entries.forEach((e, i) => {
      const n = e.shape.reduce((a, b) => a * b, 1);
      if (e.offset + 4 * n > bytes.length) throw atField(jsonPath, `tensors.${group}[${i}]`, `tensor "${e.name}" ends past the end of ${binPath} (truncated checkpoint)`);
      // Copy into a fresh, aligned buffer: the tensor outlives the file's bytes.
      const own = bytes.buffer.slice(bytes.byteOffset + e.offset, bytes.byteOffset + e.offset + 4 * n);
      groups[group].set(e.name, { shape: e.shape, data: e.dtype === 'int32' ? new Int32Array(own) : new Float32Array(own) });
    });
  }
  const { tensors: _manifest, ...state } = json;
  return { state: state as unknown as S, groups };
}
