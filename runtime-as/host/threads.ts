/**
 * The host side of a threaded recognizer (`cocodiff compile --threads N`): the shared memory, the
 * module's instance on the host's thread (thread 0), and N − 1 workers, each instantiating the same
 * module on the same memory and running `thread_main(tid)` until {@link ThreadPool.stop}.
 * Browser-safe: browsers get `Worker` from a blob URL; the Node entry (node.ts) installs
 * `worker_threads` instead (node-threads.ts). Both run WORKER_BODY.
 *
 * What the host must provide: `SharedArrayBuffer` (in a browser, a cross-origin isolated page:
 * served with `Cross-Origin-Opener-Policy: same-origin` and `Cross-Origin-Embedder-Policy:
 * require-corp`) and workers. Without them the load is refused with a UserError saying so.
 */
import { THREAD_EXPORTS, THREAD_IMPORTS } from '../shared/abi.ts';
import { UserError } from '../shared/errors.ts';
import type { RecognizerSidecar } from '../shared/sidecar.ts';

/** What a worker is sent: the compiled module, the shared memory, its thread index and the ABI's names. */
export interface WorkerJob {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  tid: number;
  imports: typeof THREAD_IMPORTS;
  threadMain: string;
}

/** What a worker posts back: ready (instantiated, about to run its loop), done (its loop returned), or why it failed. */
export type WorkerMessage = { ready: true } | { done: true } | { error: string };

/** A started worker, as the pool sees it. */
export interface ThreadWorker {
  /** Messages the worker posts, and a failure: an uncaught error, or an exit before it was done. */
  listen(onMessage: (m: WorkerMessage) => void, onFailure: (why: string) => void): void;
  terminate(): void;
}

/** Starts one worker running WORKER_BODY on `job`. */
export type WorkerStarter = (job: WorkerJob) => ThreadWorker;

/**
 * The worker's code, plain JavaScript run as it is (no bundler sees it): instantiate the module on
 * the shared memory with Atomics for its wait and notify imports, say so, run the thread's loop.
 * The entry's glue calls `run(job, post)`.
 */
export const WORKER_BODY = `
function run(job, post) {
  const cells = new Int32Array(job.memory.buffer);
  let instance;
  try {
    instance = new WebAssembly.Instance(job.module, { env: {
      [job.imports.memory]: job.memory,
      abort() { throw new Error('recognizer aborted (internal assertion)'); },
      [job.imports.wait]: (at, expected) => { Atomics.wait(cells, at >>> 2, expected); },
      [job.imports.notify]: (at, count) => { Atomics.notify(cells, at >>> 2, count); },
    } });
  } catch (err) {
    post({ error: String((err && err.message) || err) });
    return;
  }
  post({ ready: true });
  instance.exports[job.threadMain](job.tid);
  post({ done: true });
}
`;

/** Browsers, Deno and web workers: a `Worker` made from a blob URL of WORKER_BODY. */
const webWorker: WorkerStarter = (job) => {
  const source = `${WORKER_BODY}\nself.onmessage = (e) => run(e.data, (m) => self.postMessage(m));\n`;
  const url = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(url);
  URL.revokeObjectURL(url);
  worker.postMessage(job);
  return {
    listen(onMessage, onFailure) {
      worker.onmessage = (e: MessageEvent<WorkerMessage>) => onMessage(e.data);
      worker.onerror = (e: ErrorEvent) => onFailure(e.message || 'the worker failed to start');
    },
    terminate: () => worker.terminate(),
  };
};

let starter: WorkerStarter = webWorker;

/** Replaces how workers are started (the Node entry installs worker_threads). */
export function installWorkerStarter(start: WorkerStarter): void {
  starter = start;
}

/** How long the workers may take to instantiate the module before the load is refused. */
const START_TIMEOUT_MS = 60_000;

/** A threaded recognizer's instance on this thread and its running workers. */
export interface ThreadPool {
  instance: WebAssembly.Instance;
  threads: number;
  /** Ends the workers: `stop_threads`, then terminate (idempotent). */
  stop(): void;
}

/**
 * The threads a module asks for: undefined for a single-threaded module (no imported memory),
 * else its sidecar's `threads`, which must be there.
 */
export function threadsOf(module: WebAssembly.Module, sidecar: RecognizerSidecar | undefined, wasmName: string): RecognizerSidecar['threads'] {
  const shared = WebAssembly.Module.imports(module).some((i) => i.module === 'env' && i.name === THREAD_IMPORTS.memory && i.kind === 'memory');
  if (!shared) return undefined;
  if (!sidecar?.threads) throw new UserError(`${wasmName}: a threaded recognizer (it imports its memory), but its sidecar has no "threads" field saying how many threads and pages it needs; use the .json \`cocodiff compile\` wrote with it`);
  return sidecar.threads;
}

/** Makes the shared memory, instantiates the module here, and starts `threads.count − 1` workers; resolves once all are running. */
export async function startThreads(module: WebAssembly.Module, threads: NonNullable<RecognizerSidecar['threads']>, wasmName: string): Promise<ThreadPool> {
  const refuse = (why: string): never => {
    throw new UserError(`${wasmName} was compiled with --threads ${threads.count}, and ${why}. Compile it with --threads 1 (the default) for this host`);
  };
  const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated;
  if (typeof SharedArrayBuffer === 'undefined' || isolated === false) {
    refuse('needs SharedArrayBuffer, which this context lacks (a browser page must be cross-origin isolated: serve it with the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)');
  }
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: threads.memoryPages, maximum: threads.memoryPages, shared: true });
  } catch (err) {
    return refuse(`its shared memory (${threads.memoryPages} pages) cannot be made here (${(err as Error).message})`);
  }
  const cells = new Int32Array(memory.buffer);
  // Thread 0 sleeps in a barrier where this thread may block (Node, a worker); a browser's main
  // thread may not (Atomics.wait throws there), so after the first refusal it only spins.
  let canBlock = true;
  const wait = (at: number, expected: number): void => {
    if (!canBlock) return;
    try {
      Atomics.wait(cells, at >>> 2, expected);
    } catch {
      canBlock = false;
    }
  };
  let instance: WebAssembly.Instance;
  try {
    instance = await WebAssembly.instantiate(module, {
      env: {
        [THREAD_IMPORTS.memory]: memory,
        abort: () => { throw new Error('recognizer aborted (internal assertion)'); },
        [THREAD_IMPORTS.wait]: wait,
        [THREAD_IMPORTS.notify]: (at: number, count: number) => Atomics.notify(cells, at >>> 2, count),
      },
    });
  } catch (err) {
    return refuse(`it does not instantiate with the shared memory its sidecar describes (${(err as Error).message}): the sidecar belongs to another build`);
  }
  const numThreads = instance.exports[THREAD_EXPORTS.numThreads];
  if (typeof numThreads !== 'function' || numThreads() !== threads.count) {
    refuse(`the module reports ${typeof numThreads === 'function' ? numThreads() : 'no'} threads where its sidecar says ${threads.count}`);
  }
  const stopThreads = instance.exports[THREAD_EXPORTS.stopThreads] as () => void;

  const workers: ThreadWorker[] = [];
  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    stopThreads();
    for (const w of workers) w.terminate();
  };
  if (typeof Worker === 'undefined' && starter === webWorker) refuse('this context has no Worker to run its other threads in');
  const ready = Array.from({ length: threads.count - 1 }, (_, i) => new Promise<void>((resolve, reject) => {
    const worker = starter({ module, memory, tid: i + 1, imports: THREAD_IMPORTS, threadMain: THREAD_EXPORTS.threadMain });
    workers.push(worker);
    worker.listen(
      (m) => ('error' in m ? reject(new Error(m.error)) : 'ready' in m ? resolve() : undefined),
      (why) => reject(new Error(why)),
    );
  }));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not all of them started within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
  });
  try {
    await Promise.race([Promise.all(ready), timeout]);
  } catch (err) {
    stop();
    refuse(`its ${threads.count - 1} worker thread(s) could not start (${(err as Error).message})`);
  } finally {
    clearTimeout(timer);
  }
  return { instance, threads: threads.count, stop };
}
