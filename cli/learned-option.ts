/**
 * `--learned FILE`, the gestures taught with `cocodiff learn`, for every command that runs a
 * recognizer: the file is read like any input and checked against the recognizer it is given to.
 */
import type { Recognizer } from 'cocodiff-runtime';
import { readInputText } from 'cocodiff-runtime/shared/formats/read-input';

export const LEARNED_HELP = 'gestures taught with `cocodiff learn` (a learned.json), scored along with the recognizer\'s own classes';

/** Adds the taught classes of `path` (when given) to the recognizer. */
export async function useLearnedFile(recognizer: Recognizer, path: string | undefined): Promise<void> {
  if (path === undefined) return;
  recognizer.useLearned(await readInputText(path, 'the learned classes (make them with `cocodiff learn`)'), path);
}
