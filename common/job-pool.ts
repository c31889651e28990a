/**
 * Jobs run a few at a time (`ablate --jobs N`, `cv --jobs N`): at most `parallel` at once, started in
 * their order. The first failure starts no further job and aborts the running ones (each job gets the
 * pool's AbortSignal: a job in a child process stops it); it is rethrown only once every started job
 * has settled, so the caller never returns, or releases its folder's lock, while a job still runs.
 */
export async function runJobPool<J>(jobs: readonly J[], parallel: number, run: (job: J, signal: AbortSignal) => Promise<void>): Promise<void> {
  const stop = new AbortController();
  let failure: { error: unknown } | null = null;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (failure === null && next < jobs.length) {
      const job = jobs[next++];
      try {
        await run(job, stop.signal);
      } catch (error) {
        // The jobs this abort stops fail too; the user is told the first failure, the cause.
        if (failure === null) {
          failure = { error };
          stop.abort();
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, worker));
  if (failure !== null) throw (failure as { error: unknown }).error;
}
