/**
 * PyTorch checkpoints (`torch.save`, the zip format that is the default since PyTorch 1.6) read with
 * no Python: the tensors of a `state_dict`, by name, as float32.
 *
 * Layout: a zip whose members share one top folder (`archive/`, or the file's stem in older
 * versions): `data.pkl` is the pickled object, `data/<key>` each storage's raw bytes, `version`
 * the format version, and since 2.1 `byteorder` ("little" or "big"; little when absent). In the
 * pickle a tensor is `torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)`, where
 * `storage` is a persistent id `('storage', <storage type>, key, location, numel)`; several tensors
 * may view one storage at different offsets and strides.
 */
import { openInputFile } from 'cocodiff-runtime/shared/formats/read-input';
import { fsWords } from 'cocodiff-runtime/shared/fs-causes';
import type { Tensor } from '../../common/artifact.ts';
import { UserError } from 'cocodiff-runtime/shared/errors';
import { LIMITS } from 'cocodiff-runtime/shared/limits';
import { ZipArchive } from '../data/npz.ts';
import { PyGlobal, unpickle, type AllowedGlobal, type PyValue, type UnpickleOptions } from './pickle.ts';

/** Element types a storage can hold, by the storage type's name, with their byte size. */
const STORAGE_TYPES: Record<string, { dtype: string; bytes: number }> = {
  FloatStorage: { dtype: 'float32', bytes: 4 },
  HalfStorage: { dtype: 'float16', bytes: 2 },
  DoubleStorage: { dtype: 'float64', bytes: 8 },
  BFloat16Storage: { dtype: 'bfloat16', bytes: 2 },
  LongStorage: { dtype: 'int64', bytes: 8 },
  IntStorage: { dtype: 'int32', bytes: 4 },
  ShortStorage: { dtype: 'int16', bytes: 2 },
  CharStorage: { dtype: 'int8', bytes: 1 },
  ByteStorage: { dtype: 'uint8', bytes: 1 },
  BoolStorage: { dtype: 'bool', bytes: 1 },
};
const FLOAT_DTYPES = new Set(['float32', 'float16', 'float64']);
/** `torch.<name>` dtypes a pickle may name as values (weights_only allows them too). */
const DTYPES = ['float32', 'float', 'float16', 'half', 'float64', 'double', 'bfloat16', 'int64', 'long', 'int32', 'int', 'int16', 'short', 'int8', 'uint8', 'bool'];

/** A storage a tensor views: which `data/<key>` member, of what element type. */
export class StorageRef {
  constructor(readonly key: string, readonly dtype: string, readonly elementBytes: number, readonly numel: number) {}
}

/** A tensor as the pickle describes it: a strided view of a storage. */
export class TensorRef {
  constructor(readonly storage: StorageRef, readonly offset: number, readonly size: number[], readonly stride: number[]) {}
  get dtype(): string {
    return this.storage.dtype;
  }
}

const isInt = (v: PyValue): v is number => typeof v === 'number' && Number.isInteger(v);
const isIntList = (v: PyValue): v is number[] => Array.isArray(v) && v.every(isInt);

/** The globals a checkpoint of tensors needs, and nothing else. */
function allowedGlobals(): Map<string, AllowedGlobal> {
  const globals = new Map<string, AllowedGlobal>();
  // OrderedDict() with no arguments: an empty dict that SETITEMS then fills.
  globals.set('collections.OrderedDict', { call: (args, where) => {
    if (args.length !== 0) throw new UserError(`${where}: collections.OrderedDict called with arguments (only the empty form is supported)`);
    return new Map();
  } });
  globals.set('torch._utils._rebuild_tensor_v2', { call: (args, where) => {
    // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
    const [storage, offset, size, stride] = args;
    if (!(storage instanceof StorageRef) || !isInt(offset) || !isIntList(size) || !isIntList(stride) || size.length !== stride.length) {
      throw new UserError(`${where}: a tensor whose (storage, offset, size, stride) is malformed`);
    }
    return new TensorRef(storage, offset, size, stride);
  } });
  // An nn.Parameter saved directly: (data, requires_grad, backward_hooks); the data is all we keep.
  globals.set('torch._utils._rebuild_parameter', { call: (args, where) => {
    if (!(args[0] instanceof TensorRef)) throw new UserError(`${where}: a Parameter whose data is not a tensor`);
    return args[0];
  } });
  for (const name of Object.keys(STORAGE_TYPES)) globals.set(`torch.${name}`, { value: new PyGlobal('torch', name) });
  for (const name of DTYPES) globals.set(`torch.${name}`, { value: new PyGlobal('torch', name) });
  return globals;
}

/** Reads the first bytes to tell a zip checkpoint from the legacy formats before opening it as a zip. */
async function checkContainer(path: string): Promise<void> {
  let head = Buffer.alloc(512);
  const { fh } = await openInputFile(path, 'the checkpoint');
  try {
    const { bytesRead } = await fh.read(head, 0, 512, 0);
    head = head.subarray(0, bytesRead);
  } catch (err) {
    throw new UserError(`${path}: cannot read the checkpoint (${fsWords((err as NodeJS.ErrnoException).code) ?? (err as Error).message})`);
  } finally {
    await fh.close();
  }
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return; // "PK\3\4"
  const legacy = head[0] === 0x80 || (head.length >= 262 && head.toString('latin1', 257, 262) === 'ustar');
  if (legacy) {
    throw new UserError(
      `${path}: a legacy PyTorch checkpoint (the pickle format used before PyTorch 1.6, or torch.save(..., _use_new_zipfile_serialization=False)); ` +
      `only the zip format is read. Re-save it once in the zip format with PyTorch 1.6 or newer: ` +
      `python -c "import torch; torch.save(torch.load('${path}', map_location='cpu'), 'new.pt')"`,
    );
  }
  throw new UserError(`${path}: not a PyTorch checkpoint (expected the zip archive torch.save writes, starting with "PK")`);
}

export interface TorchCheckpoint {
  /** Every float tensor of the state_dict by name (`module.` prefixes removed), as float32. */
  tensors: Map<string, Tensor>;
  /** Where in the pickled object the state_dict was: "" (the object itself) or the key that held it. */
  foundAt: string;
  /** Integer tensors left out (`num_batches_tracked` counters). */
  skipped: string[];
}

/**
 * Reads the state_dict of a PyTorch zip checkpoint: the object itself, or the state_dict held under
 * `state_dict`, `model`, `model_state_dict` or `net` of a dict saved around it.
 */
export async function readTorchCheckpoint(path: string): Promise<TorchCheckpoint> {
  await checkContainer(path);
  const zip = await ZipArchive.open(path, 'the checkpoint');
  try {
    const pkl = zip.entries.filter((e) => /^[^/]+\/data\.pkl$/.test(e.name));
    if (pkl.length !== 1) {
      const jit = zip.entries.some((e) => /^[^/]+\/constants\.pkl$/.test(e.name));
      throw new UserError(jit
        ? `${path}: a TorchScript archive (torch.jit.save), not a checkpoint of tensors; save the weights with torch.save(model.state_dict(), 'model.pt')`
        : `${path}: ${pkl.length === 0 ? 'no' : 'more than one'} <folder>/data.pkl member, so not a torch.save checkpoint`);
    }
    const prefix = pkl[0].name.slice(0, -'data.pkl'.length);
    const byteorderEntry = zip.entry(`${prefix}byteorder`);
    const byteorder = byteorderEntry ? new TextDecoder().decode(await zip.read(byteorderEntry)).trim() : 'little';
    if (byteorder !== 'little' && byteorder !== 'big') throw new UserError(`${path}: member "${prefix}byteorder" says "${byteorder}" (expected little or big)`);

    const root = unpickle(await zip.read(pkl[0]), checkpointPickleOptions(`${path}:${pkl[0].name}`));
    const { dict, foundAt } = findStateDict(root, path);

    const storages = new Map<string, Uint8Array>();
    const storageBytes = async (ref: StorageRef, name: string): Promise<Uint8Array> => {
      let bytes = storages.get(ref.key);
      if (!bytes) {
        const member = `${prefix}data/${ref.key}`;
        const e = zip.entry(member);
        if (!e) throw new UserError(`${path}: tensor "${name}" is stored in member "${member}", which the archive does not hold`);
        bytes = await zip.read(e);
        storages.set(ref.key, bytes);
      }
      return bytes;
    };

    checkBudget(dict, path);
    const tensors = new Map<string, Tensor>();
    const skipped: string[] = [];
    for (const [rawName, value] of dict) {
      const name = rawName.startsWith('module.') ? rawName.slice('module.'.length) : rawName;
      if (tensors.has(name) || skipped.includes(name)) throw new UserError(`${path}: tensor "${name}" appears twice (once with a "module." prefix)`);
      const t = value as TensorRef;
      if (!FLOAT_DTYPES.has(t.dtype)) {
        if (name.endsWith('num_batches_tracked')) { skipped.push(name); continue; }
        throw new UserError(`${path}: tensor "${rawName}" holds ${t.dtype} (expected float32, float16 or float64)`);
      }
      tensors.set(name, { shape: [...t.size], data: materialise(t, await storageBytes(t.storage, rawName), byteorder === 'little', `${path}: tensor "${rawName}"`) });
    }
    return { tensors, foundAt, skipped };
  } finally {
    await zip.close();
  }
}

/** How a checkpoint's `data.pkl` is unpickled (exported for the fuzz targets, which run the same reader). */
export function checkpointPickleOptions(source: string): UnpickleOptions {
  return {
    globals: allowedGlobals(),
    allowedSummary: 'a checkpoint may name only the globals a state_dict needs (collections.OrderedDict, torch._utils._rebuild_tensor_v2 and _rebuild_parameter, torch storage types and dtypes); ' +
      'a file saved with torch.save(model) holds the whole module: save its weights with torch.save(model.state_dict(), \'model.pt\')',
    source,
    persistentLoad: (pid) => storageRef(pid, source),
  };
}

/** `('storage', <storage type>, key, location, numel)` → a reference to member `data/<key>`. */
function storageRef(pid: PyValue, source: string): StorageRef {
  if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5) throw new UserError(`${source}: a persistent id that is not a storage reference`);
  const [, type, key, , numel] = pid;
  if (!(type instanceof PyGlobal) || !(type.name in STORAGE_TYPES)) throw new UserError(`${source}: a storage of unknown type`);
  if (typeof key !== 'string' || !/^\w+$/.test(key) || !isInt(numel) || numel < 0) throw new UserError(`${source}: a storage reference with a malformed key or size`);
  const { dtype, bytes } = STORAGE_TYPES[type.name];
  return new StorageRef(key, dtype, bytes, numel);
}

const isTensorDict = (v: PyValue): v is Map<string, TensorRef> =>
  v instanceof Map && v.size > 0 && [...v].every(([k, t]) => typeof k === 'string' && t instanceof TensorRef);

/** Keys of a wrapping dict that hold the state_dict, in the order they are tried. */
const WRAPPER_KEYS = ['state_dict', 'model', 'model_state_dict', 'net'];

function findStateDict(root: PyValue, path: string): { dict: Map<string, TensorRef>; foundAt: string } {
  if (isTensorDict(root)) return { dict: root, foundAt: '' };
  if (!(root instanceof Map)) throw new UserError(`${path}: holds no state_dict (the saved object is not a dict of tensors)`);
  for (const key of WRAPPER_KEYS) {
    const v = root.get(key);
    if (isTensorDict(v ?? null)) return { dict: v as Map<string, TensorRef>, foundAt: key };
  }
  const keys = [...root.keys()].map((k) => JSON.stringify(k)).join(', ');
  throw new UserError(`${path}: holds no state_dict: the saved dict has keys ${keys}, and none of ${WRAPPER_KEYS.map((k) => `"${k}"`).join(', ')} holds a dict of tensors`);
}

/**
 * Before any storage is read: the state_dict's size, and what its views would make. A view of more
 * elements than its storage holds (a stride-0 broadcast) would let a tiny file ask for gigabytes; a
 * state_dict saved from a model never holds one.
 */
function checkBudget(dict: Map<string, TensorRef>, path: string): void {
  if (dict.size > LIMITS.checkpointTensors) throw new UserError(`${path}: ${dict.size} tensors, more than the ${LIMITS.checkpointTensors} accepted (LIMITS.checkpointTensors)`);
  let total = 0;
  for (const [name, t] of dict) {
    if (!FLOAT_DTYPES.has(t.dtype)) continue;
    if (t.size.some((d) => d < 0) || t.stride.some((d) => d < 0) || t.offset < 0) throw new UserError(`${path}: tensor "${name}": negative size, stride or offset`);
    const count = t.size.reduce((a, b) => a * b, 1);
    if (count > t.storage.numel) {
      throw new UserError(`${path}: tensor "${name}" views ${count} elements of a storage that holds ${t.storage.numel} (a broadcast, stride-0 view); save contiguous tensors (tensor.contiguous()) in the state_dict`);
    }
    total += count;
  }
  if (total > LIMITS.checkpointElements) throw new UserError(`${path}: its tensors hold ${total} elements, more than the ${LIMITS.checkpointElements} accepted (LIMITS.checkpointElements)`);
}

/** Copies a strided view out of its storage into a contiguous float32 array (row-major by `size`). */
function materialise(t: TensorRef, bytes: Uint8Array, little: boolean, where: string): Float32Array {
  const { storage, offset, size, stride } = t;
  const count = size.reduce((a, b) => a * b, 1);
  if (bytes.length < storage.numel * storage.elementBytes) {
    throw new UserError(`${where}: its storage holds ${bytes.length} bytes, but the checkpoint says ${storage.numel} × ${storage.elementBytes} (truncated)`);
  }
  if (count === 0) return new Float32Array(0);
  const last = offset + size.reduce((s, d, i) => s + (d - 1) * stride[i], 0);
  if (last >= storage.numel) throw new UserError(`${where}: its view reaches element ${last}, past the end of its storage (${storage.numel} elements)`);
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const read: (i: number) => number =
    storage.dtype === 'float32' ? (i) => view.getFloat32(4 * i, little)
    : storage.dtype === 'float64' ? (i) => view.getFloat64(8 * i, little)
    : (i) => halfToFloat(view.getUint16(2 * i, little));
  // Walk the index like an odometer, keeping the storage position in step.
  const rank = size.length;
  const index = new Array<number>(rank).fill(0);
  let at = offset;
  for (let n = 0; n < count; n++) {
    out[n] = read(at);
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      at += stride[d];
      if (index[d] < size[d]) break;
      at -= stride[d] * size[d];
      index[d] = 0;
    }
  }
  return out;
}

/** IEEE binary16 bits → number (exact: every half is a float32). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}
