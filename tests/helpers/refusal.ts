import { expect } from 'vitest';
import { UserError } from 'cocodiff-runtime/shared/errors';

/** The message of the UserError `what` throws (or rejects with); "accepted" when it succeeds. */
export async function refusal(what: () => unknown): Promise<string> {
  try {
    await what();
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return (err as Error).message;
  }
  return 'accepted';
}
