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

/** How a command that trains several runs (`ablate`, `cv`) is asked to run them. */
export interface PooledRuns<J> {
  /** Runs at once (default 1, in this process); > 1 needs `spawn`. */
  jobs?: number;
  /** Runs one job in another process (`only` there); resolves when it has finished, stops it when `signal` aborts. */
  spawn?: (job: J, signal: AbortSignal) => Promise<void>;
  /** Only this job, in this process (what a spawned process is asked to do): no table is written. */
  only?: J;
  log?: (line: string) => void;
}

/**
 * Runs `todo` as `o` asks: one at a time in this process (`runHere`), or `o.jobs` at a time, each
 * through `o.spawn`. `each` wraps every job (its log lines, its result) around `train`, which runs it
 * in the place chosen.
 */
export async function runPooled<J>(
  todo: readonly J[], o: PooledRuns<J>, runHere: (job: J) => Promise<void>, each: (job: J, train: () => Promise<void>) => Promise<void>,
): Promise<void> {
  const parallel = Math.max(1, o.jobs ?? 1);
  if (parallel > 1 && !o.spawn) throw new Error('runPooled: parallel jobs need a spawn function');
  await runJobPool(todo, parallel, (job, signal) => each(job, () => (parallel > 1 ? o.spawn!(job, signal) : runHere(job))));
}
