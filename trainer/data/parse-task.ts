/** One file to parse, as sent to a worker thread, and the reply. Shared by the pool and the worker. */
import { UserError } from 'cocodiff-runtime/shared/errors';
import type { Sequence } from 'cocodiff-runtime/shared/sequence';
import { parseSkeleton } from 'cocodiff-runtime/shared/formats/ntu-skeleton';
import { parseKineticsJson } from 'cocodiff-runtime/shared/formats/kinetics';
import { readInputBytes, readInputText } from 'cocodiff-runtime/shared/formats/read-input';

export type ParseTask =
  | { kind: 'ntu-skeleton'; path: string }
  | { kind: 'kinetics-json'; path: string; classes: number };

export type ParseReply = { id: number; seq: Sequence } | { id: number; error: string; user: boolean };

export async function parseTask(t: ParseTask): Promise<Sequence> {
  switch (t.kind) {
    case 'ntu-skeleton': return parseSkeleton(await readInputBytes(t.path, 'the NTU .skeleton file'), t.path);
    case 'kinetics-json': return parseKineticsJson(await readInputText(t.path, 'the Kinetics-Skeleton clip'), t.path, t.classes);
  }
}

export async function replyTo(id: number, t: ParseTask): Promise<{ reply: ParseReply; transfer: ArrayBuffer[] }> {
  try {
    const seq = await parseTask(t);
    return { reply: { id, seq }, transfer: [seq.data.buffer as ArrayBuffer] };
  } catch (err) {
    return { reply: { id, error: (err as Error).message, user: err instanceof UserError }, transfer: [] };
  }
}
