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
 * CoCoDiff branch), so `export` reads the model group and never touches the rest. tensors.bin is a
 * tensor file (common/tensor-file.ts), the format of an artifact's weights.bin.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { recoverDirAtomic, writeDirAtomic } from '../../common/atomic.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { checkHeader, fieldChecks, isObject, parseJson } from 'cocodiff-runtime/shared/json-fields';
import { TensorFileWriter, checkTensorEntries, readTensors, type StoredTensor, type TensorEntry } from '../../common/tensor-file.ts';

export const CHECKPOINT_FORMAT = 'cocodiff-checkpoint';
/** 2: every tensor has a sha256. */
export const CHECKPOINT_VERSION = 2;

export type { StoredTensor as StateTensor } from '../../common/tensor-file.ts';

export type TensorGroups = Record<string, Map<string, StoredTensor>>;

export async function writeCheckpoint(dir: string, state: object, groups: TensorGroups): Promise<void> {
  const file = new TensorFileWriter();
  const manifest: Record<string, TensorEntry[]> = {};
  for (const [group, tensors] of Object.entries(groups)) {
    manifest[group] = [...tensors].map(([name, t]) => file.add(name, t));
  }
  await writeDirAtomic(dir, async (tmp) => {
    await writeFile(join(tmp, 'tensors.bin'), file.bytes());
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
    json = parseJson(await readFile(jsonPath, 'utf8'), jsonPath) as typeof json;
    bytes = await readFile(binPath);
  } catch (err) {
    if (err instanceof UserError) throw err;
    throw new UserError(`${dir}: cannot read the checkpoint (${(err as Error).message})`);
  }
  const need = fieldChecks(jsonPath);
  checkHeader(json, need, {
    format: CHECKPOINT_FORMAT, version: CHECKPOINT_VERSION, what: 'checkpoint',
    older: { 1: 'version 1 checkpoints carry no checksums and cannot be verified; re-run the training with this cocodiff' },
  });
  need(isObject(json.tensors), 'tensors', 'expected { group: [tensor, ...] }');
  // One tensor file holds every group: check all the manifests, then read them together.
  const entries = Object.entries(json.tensors).map(([group, list]) => {
    checkTensorEntries(need, list, `tensors.${group}`, 'tensor', ['float32', 'int32']);
    return list.map((e) => ({ group, e }));
  }).flat();
  const tensors = readTensors(bytes, entries.map(({ e }) => e), { path: binPath, manifest: 'state.json', kind: 'checkpoint', noun: 'tensor' }, (i) => ` (group ${entries[i].group})`);
  const groups: TensorGroups = Object.create(null);
  for (const g of Object.keys(json.tensors)) groups[g] = new Map();
  entries.forEach(({ group, e }, i) => groups[group].set(e.name, tensors[i]));
  const { tensors: _manifest, ...state } = json;
  return { state: state as unknown as S, groups };
}
