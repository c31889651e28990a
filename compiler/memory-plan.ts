/**
 * Static memory plan: one arena, every tensor (and every op's scratch) at a fixed offset, chosen by
 * liveness so that tensors whose lifetimes do not overlap share bytes. Nothing is allocated at run
 * time; the generated code addresses the arena with literal offsets.
 *
 * Lifetimes are op-index intervals [first write, last read], both ends inclusive, so an op's output
 * never shares bytes with its inputs. The pooled feature lives across the person loop and is placed
 * outside the reuse (its interval spans every op).
 */
import { opInputs, type Graph } from './ir.ts';

export interface Buffer {
  name: string;
  bytes: number;
  first: number;
  last: number;
}

export interface MemoryPlan {
  offsets: Map<string, number>;
  arenaBytes: number;
}

/** Cache-line alignment keeps every vector load of a row start aligned and rows from sharing lines. */
const ALIGN = 64;

/** `extra`: buffers whose lifetimes the caller knows (the int8 activation codes, shared by several readers). */
export function liveBuffers(graph: Graph, sizes: Map<string, number>, scratch: Map<number, number>, extra: Buffer[] = []): Buffer[] {
  const buffers = new Map<string, Buffer>();
  graph.ops.forEach((op, i) => {
    const touch = (name: string): void => {
      const b = buffers.get(name);
      if (b) b.last = i;
      else buffers.set(name, { name, bytes: sizes.get(name)!, first: i, last: i });
    };
    for (const t of opInputs(op)) touch(t);
    touch(op.out);
    const s = scratch.get(i);
    if (s) buffers.set(`#scratch${i}`, { name: `#scratch${i}`, bytes: s, first: i, last: i });
  });
  const feature = graph.ops.find((op) => op.kind === 'pool')!.out;
  const f = buffers.get(feature)!;
  f.first = 0;
  f.last = graph.ops.length - 1;
  return [...buffers.values(), ...extra];
}

/** Greedy first fit, largest buffers first (the classic offset-assignment heuristic). */
export function planMemory(buffers: Buffer[]): MemoryPlan {
  const placed: Array<Buffer & { offset: number }> = [];
  const order = [...buffers].sort((a, b) => b.bytes - a.bytes || a.first - b.first);
  for (const b of order) {
    const clashes = placed
      .filter((p) => p.first <= b.last && b.first <= p.last)
      .sort((p, q) => p.offset - q.offset);
    let offset = 0;
    for (const p of clashes) {
      if (offset + b.bytes <= p.offset) break;
      offset = Math.max(offset, alignUp(p.offset + p.bytes));
    }
    placed.push({ ...b, offset });
  }
  const offsets = new Map(placed.map((p) => [p.name, p.offset]));
  const arenaBytes = alignUp(placed.reduce((n, p) => Math.max(n, p.offset + p.bytes), 0));
  return { offsets, arenaBytes };
}

const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;
