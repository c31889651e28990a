/**
 * A safe reader for the Python pickles inside PyTorch checkpoints (`data.pkl`).
 *
 * A pickle is a program for a small stack machine; Python's own unpickler imports and calls
 * whatever globals it names, which is how a checkpoint can run code. This reader interprets only the
 * data opcodes (numbers, strings, bytes, lists, tuples, dicts, memo, marks) and resolves a global
 * only through an allow-list the caller gives: a global not on it is refused with its name, and
 * nothing is ever imported or executed. Calls (REDUCE) go only to the allowed functions, which
 * here build plain records. This is what PyTorch itself calls `weights_only` loading.
 *
 * Opcodes covered: every binary opcode of protocols 2 to 5 that builds data, plus the text forms
 * of GET/PUT/INT that older protocols mix in. Object construction (NEWOBJ, INST, OBJ) and
 * extension registries are refused, as are out-of-band buffers.
 */
import { UserError } from 'cocodiff-runtime/shared/errors';
import { LIMITS } from 'cocodiff-runtime/shared/limits';

/**
 * A Python value as this reader builds it: dicts are Maps (insertion-ordered, like Python's), lists
 * and tuples arrays, ints numbers (bigints beyond 2^53); `object` is whatever an allowed call returns.
 */
export type PyValue =
  | null | boolean | number | bigint | string | Uint8Array
  | PyValue[] | Map<PyKey, PyValue> | PyGlobal | object;
export type PyKey = string | number | bigint | boolean | null;

/** A global the allow-list resolved, e.g. a storage type or dtype, as a value. */
export class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
  get qualifiedName(): string {
    return `${this.module}.${this.name}`;
  }
}

/** What an allowed global is: a value, or a function that REDUCE may call with the args tuple. */
export type AllowedGlobal = { value: PyValue } | AllowedCall;
export interface AllowedCall {
  call: (args: PyValue[], where: string) => PyValue;
}

export interface UnpickleOptions {
  /** `module.name` → what it stands for. Everything else is refused. */
  globals: ReadonlyMap<string, AllowedGlobal>;
  /** Says in a refusal which globals are allowed, e.g. "only the globals a state_dict needs (...)". */
  allowedSummary: string;
  /** Resolves a persistent id (PyTorch: a storage reference tuple). */
  persistentLoad: (pid: PyValue) => PyValue;
  /** Names the pickle in errors (e.g. `model.pt:archive/data.pkl`). */
  source: string;
}

/** Runs the pickle in `data` and returns the value it leaves at STOP. */
export function unpickle(data: Uint8Array, opts: UnpickleOptions): PyValue {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  const latin1 = new TextDecoder('latin1');
  let pos = 0;
  let opStart = 0;
  // MARK starts a new stack; the items since the mark are that stack (Python's own design).
  let stack: PyValue[] = [];
  const metastack: PyValue[][] = [];
  const memo = new Map<number, PyValue>();

  function fail(what: string): never {
    throw new UserError(`${opts.source}: ${what} (opcode at byte ${opStart})`);
  }
  const need = (n: number): number => {
    if (n < 0) fail(`a negative length (${n})`);
    if (pos + n > data.length) fail('the pickle is truncated (it ends before its STOP opcode)');
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = () => data[need(1)];
  const u16 = () => view.getUint16(need(2), true);
  const u32 = () => view.getUint32(need(4), true);
  const i32 = () => view.getInt32(need(4), true);
  const u64 = (): number => {
    const v = view.getBigUint64(need(8), true);
    if (v > BigInt(data.length)) fail(`a length of ${v} bytes runs past the end of the pickle`);
    return Number(v);
  };
  const bytes = (n: number): Uint8Array => data.subarray(need(n), pos);
  const line = (): string => {
    const end = data.indexOf(0x0a, pos);
    if (end < 0) fail('a text argument has no end of line (truncated)');
    const s = latin1.decode(data.subarray(pos, end));
    pos = end + 1;
    return s;
  };
  const text = (n: number): string => {
    const b = bytes(n);
    try {
      return utf8.decode(b);
    } catch {
      return fail('a string is not valid UTF-8');
    }
  };
  const pop = (): PyValue => {
    if (stack.length === 0) fail('stack underflow (corrupt pickle)');
    return stack.pop()!;
  };
  const top = (): PyValue => {
    if (stack.length === 0) fail('stack underflow (corrupt pickle)');
    return stack[stack.length - 1];
  };
  /** The items pushed since the last MARK, which is removed. */
  const popMark = (): PyValue[] => {
    const items = stack;
    const prev = metastack.pop();
    if (!prev) fail('no mark to pop to (corrupt pickle)');
    stack = prev;
    return items;
  };
  const memoGet = (i: number): PyValue => {
    if (!memo.has(i)) fail(`memo entry ${i} is read before it is written (corrupt pickle)`);
    return memo.get(i)!;
  };
  const asKey = (k: PyValue): PyKey => {
    if (k === null || ['string', 'number', 'bigint', 'boolean'].includes(typeof k)) return k as PyKey;
    return fail('a dict key that is not a string or number');
  };
  const asDict = (d: PyValue, op: string): Map<PyKey, PyValue> => {
    if (!(d instanceof Map)) fail(`${op} on something that is not a dict`);
    return d as Map<PyKey, PyValue>;
  };
  const asList = (l: PyValue, op: string): PyValue[] => {
    if (!Array.isArray(l)) fail(`${op} on something that is not a list`);
    return l as PyValue[];
  };
  const global = (module: string, name: string): PyValue => {
    const qualified = `${module}.${name}`;
    const allowed = opts.globals.get(qualified);
    if (!allowed) {
      fail(`refuses the global "${qualified}": ${opts.allowedSummary}; nothing in the file was run`);
    }
    return 'value' in allowed ? allowed.value : new PyGlobal(module, name);
  };
  const int = (s: string): number | bigint | boolean => {
    // Protocol 0 spells booleans as I01 / I00.
    if (s === '01') return true;
    if (s === '00') return false;
    if (s.length > 2.5 * LIMITS.pickleIntegerBytes) fail(`an integer of ${s.length} digits, wider than the ${LIMITS.pickleIntegerBytes} bytes accepted (LIMITS.pickleIntegerBytes)`);
    if (!/^-?\d+L?$/.test(s)) fail(`"${s}" is not an integer`);
    const b = BigInt(s.replace(/L$/, ''));
    return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
  };
  const long = (b: Uint8Array): number | bigint => {
    // Little-endian two's complement. Read through one hex string: shifting a BigInt byte by byte
    // is quadratic in the width.
    if (b.length > LIMITS.pickleIntegerBytes) fail(`an integer of ${b.length} bytes, wider than the ${LIMITS.pickleIntegerBytes} accepted (LIMITS.pickleIntegerBytes)`);
    if (b.length === 0) return 0;
    let hex = '';
    for (let i = b.length - 1; i >= 0; i--) hex += b[i].toString(16).padStart(2, '0');
    let v = BigInt(`0x${hex}`);
    if (b[b.length - 1] & 0x80) v -= 1n << BigInt(8 * b.length);
    return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
  };

  for (;;) {
    opStart = pos;
    const op = u8();
    switch (op) {
      case 0x80: { // PROTO
        const v = u8();
        if (v > 5) fail(`pickle protocol ${v} (this reader knows 0 to 5)`);
        break;
      }
      case 0x95: u64(); break; // FRAME: a length hint only
      case 0x2e: { // STOP
        const v = pop();
        return v;
      }
      case 0x28: metastack.push(stack); stack = []; break; // MARK
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: stack.push(top()); break; // DUP
      case 0x4e: stack.push(null); break; // NONE
      case 0x88: stack.push(true); break; // NEWTRUE
      case 0x89: stack.push(false); break; // NEWFALSE
      case 0x49: stack.push(int(line())); break; // INT
      case 0x4c: stack.push(int(line())); break; // LONG
      case 0x4a: stack.push(i32()); break; // BININT
      case 0x4b: stack.push(u8()); break; // BININT1
      case 0x4d: stack.push(u16()); break; // BININT2
      case 0x8a: stack.push(long(bytes(u8()))); break; // LONG1
      case 0x8b: { // LONG4
        const n = i32();
        if (n < 0) fail('negative LONG4 length');
        stack.push(long(bytes(n)));
        break;
      }
      case 0x47: stack.push(view.getFloat64(need(8), false)); break; // BINFLOAT (big-endian)
      case 0x46: stack.push(Number(line())); break; // FLOAT
      case 0x54: stack.push(latin1.decode(bytes(i32()))); break; // BINSTRING (Python 2 str; a negative length is refused by need)
      case 0x55: stack.push(latin1.decode(bytes(u8()))); break; // SHORT_BINSTRING
      case 0x58: stack.push(text(u32())); break; // BINUNICODE
      case 0x8c: stack.push(text(u8())); break; // SHORT_BINUNICODE
      case 0x8d: stack.push(text(u64())); break; // BINUNICODE8
      case 0x42: stack.push(new Uint8Array(bytes(u32()))); break; // BINBYTES (a copy)
      case 0x43: stack.push(new Uint8Array(bytes(u8()))); break; // SHORT_BINBYTES
      case 0x8e: stack.push(new Uint8Array(bytes(u64()))); break; // BINBYTES8
      case 0x96: stack.push(new Uint8Array(bytes(u64()))); break; // BYTEARRAY8
      case 0x5d: stack.push([]); break; // EMPTY_LIST
      case 0x6c: { const items = popMark(); stack.push(items); break; } // LIST (popMark replaces `stack`: take the items first)
      case 0x61: { // APPEND
        const v = pop();
        asList(top(), 'APPEND').push(v);
        break;
      }
      case 0x65: { // APPENDS
        const items = popMark();
        const list = asList(top(), 'APPENDS');
        for (const item of items) list.push(item); // not push(...items): a long mark would overflow the call stack
        break;
      }
      case 0x29: stack.push([]); break; // EMPTY_TUPLE
      case 0x74: { const items = popMark(); stack.push(items); break; } // TUPLE
      case 0x85: stack.push([pop()]); break; // TUPLE1
      case 0x86: { const b = pop(); const a = pop(); stack.push([a, b]); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); const a = pop(); stack.push([a, b, c]); break; } // TUPLE3
      case 0x7d: stack.push(new Map()); break; // EMPTY_DICT
      case 0x64: { // DICT
        const items = popMark();
        const d = new Map<PyKey, PyValue>();
        for (let i = 0; i + 1 < items.length; i += 2) d.set(asKey(items[i]), items[i + 1]);
        stack.push(d);
        break;
      }
      case 0x73: { // SETITEM
        const v = pop();
        const k = pop();
        asDict(top(), 'SETITEM').set(asKey(k), v);
        break;
      }
      case 0x75: { // SETITEMS
        const items = popMark();
        const d = asDict(top(), 'SETITEMS');
        if (items.length % 2) fail('SETITEMS with an odd number of items');
        for (let i = 0; i < items.length; i += 2) d.set(asKey(items[i]), items[i + 1]);
        break;
      }
      case 0x63: { // GLOBAL
        const module = line();
        const name = line();
        stack.push(global(module, name));
        break;
      }
      case 0x93: { // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') fail('STACK_GLOBAL with a module or name that is not a string');
        stack.push(global(module, name));
        break;
      }
      case 0x52: { // REDUCE
        const args = pop();
        const fn = pop();
        if (!(fn instanceof PyGlobal)) fail('REDUCE calls something that is not a global');
        const allowed = opts.globals.get(fn.qualifiedName);
        if (!allowed || !('call' in allowed)) fail(`refuses to call "${fn.qualifiedName}" (it is allowed as a value only)`);
        if (!Array.isArray(args)) fail(`"${fn.qualifiedName}" called with arguments that are not a tuple`);
        stack.push(allowed.call(args, opts.source));
        break;
      }
      case 0x62: { // BUILD
        // Sets attributes on the object below (an OrderedDict's `_metadata`, for a state_dict).
        // The records built here have no attributes anything reads, so the state is dropped.
        const state = pop();
        const obj = top();
        if (!(obj instanceof Map) || !(state instanceof Map || state === null)) fail('BUILD on something other than a dict (object state is not supported)');
        break;
      }
      case 0x51: stack.push(opts.persistentLoad(pop())); break; // BINPERSID
      case 0x50: stack.push(opts.persistentLoad(line())); break; // PERSID
      case 0x68: stack.push(memoGet(u8())); break; // BINGET
      case 0x6a: stack.push(memoGet(u32())); break; // LONG_BINGET
      case 0x67: stack.push(memoGet(Number(int(line())))); break; // GET
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x70: memo.set(Number(int(line())), top()); break; // PUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x81: case 0x92: case 0x69: case 0x6f:
        fail('an object is constructed (NEWOBJ/INST/OBJ): a checkpoint of plain tensors never needs that');
        break;
      case 0x82: case 0x83: case 0x84:
        fail('an extension-registry global (EXT1/2/4) is not supported');
        break;
      case 0x97: case 0x98:
        fail('out-of-band buffers (protocol 5 NEXT_BUFFER/READONLY_BUFFER) are not supported');
        break;
      default:
        fail(`unknown or unsupported pickle opcode 0x${op.toString(16).padStart(2, '0')}`);
    }
  }
}
