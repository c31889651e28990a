/**
 * Threads for the tfjs `wasm` backend in Node.
 *
 * The backend ships a threaded build (XNNPACK on a pthread pool, bit-identical results: each output
 * is reduced by one thread) but never uses it in Node (tfjs issue 3830), because Emscripten starts
 * each pthread's worker from a `blob:` URL, and the main script it sends that worker is a Blob too;
 * Node's `worker_threads` loads neither. This module starts those workers from the package's own
 * files instead (`wasm-out/tfjs-backend-wasm-threaded-simd{,.worker}.js`, the same build), for the
 * moment the backend initialises, and then puts everything back. It relies on that build's glue (the
 * worker script's export, the `load` message), which is why the package's version is pinned;
 * tests/train/wasm-threads.test.ts fails if an update changes it.
 *
 * The pool's size is min(asked, logical cores / 2) in the backend (it assumes two hyper-threads a
 * core), so the core count it reads is raised to match what was asked for while it initialises.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as workerThreads from 'node:worker_threads';
import type * as os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { setThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { OptionError } from 'cocodiff-runtime/shared/errors';

const require = createRequire(import.meta.url);
// The mutable CommonJS objects (an ES namespace import is read-only): the backend reads both there.
const threadsModule = require('node:worker_threads') as typeof workerThreads;
const osModule = require('node:os') as typeof os;

const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'wasm-out');
const MAIN_SCRIPT = join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
const WORKER_SCRIPT = join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js');
/** How long the pool may take to start (instantiating the module in each worker takes well under a second). */
const START_TIMEOUT_S = 60;

/**
 * What each pthread worker runs instead of the blob: the build's main script as a module, the
 * build's worker script (a string the package exports, with its `\n` escapes kept as the backend
 * keeps them), and an `importScripts` that skips the Blob URL of the main script already loaded.
 */
const WORKER_ENTRY = String.raw`
const { workerData } = require('node:worker_threads');
globalThis.WasmBackendModuleThreadedSimd = require(workerData.mainScript);
(0, eval)(require(workerData.workerScript).wasmWorkerContents.replace(/\n/g, '\\n'));
const loadScript = globalThis.importScripts;
globalThis.importScripts = (url) => { if (!String(url).startsWith('blob:')) loadScript(url); };
`;

function blobWorkerClass(NodeWorker: typeof workerThreads.Worker): typeof workerThreads.Worker {
  return class BlobUrlWorker extends NodeWorker {
    constructor(url: string | URL, options?: workerThreads.WorkerOptions) {
      if (typeof url === 'string' && url.startsWith('blob:')) {
        super(WORKER_ENTRY, {
          ...options,
          eval: true,
          workerData: { mainScript: MAIN_SCRIPT, workerScript: WORKER_SCRIPT },
        });
        this.unref();
      } else super(url, options);
    }

    // Emscripten refs a worker while it runs a pthread, so that Node waits for the thread to end; the
    // pool's threads wait for work until the process ends, so they must never hold Node open.
    override ref(): void {}
  };
}

/**
 * Initialises the wasm backend (`tf.setBackend('wasm')`, its answer returned) with its threaded build
 * and a pool of `threads` threads. The pool's workers have all started when the backend is ready, so
 * the Node globals are put back then.
 */
export async function setWasmBackendThreaded(threads: number): Promise<boolean> {
  for (const script of [MAIN_SCRIPT, WORKER_SCRIPT]) {
    if (!existsSync(script)) throw new OptionError('threads', `the threaded wasm backend needs ${script}, which this install of @tensorflow/tfjs-backend-wasm lacks; train with --threads 1`);
  }
  const NodeWorker = threadsModule.Worker;
  const cpus = osModule.cpus;
  const hadWorker = Object.prototype.hasOwnProperty.call(globalThis, 'Worker');
  const globalWorker = (globalThis as { Worker?: unknown }).Worker;
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  threadsModule.Worker = blobWorkerClass(NodeWorker);
  osModule.cpus = () => Array.from({ length: 2 * threads }, () => cpus()[0]!);
  // The pool's workers are unreferenced: were they never to answer, nothing would keep Node running,
  // and the process would end with no error. This timer keeps it up and says so instead.
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OptionError('threads', `the wasm backend's ${threads} threads did not start within ${START_TIMEOUT_S} s; train with --threads 1`)), START_TIMEOUT_S * 1000);
  });
  try {
    return await Promise.race([tf.setBackend('wasm'), timeout]);
  } finally {
    clearTimeout(timer);
    threadsModule.Worker = NodeWorker;
    osModule.cpus = cpus;
    // The Emscripten glue sets the global Worker in Node; other code must not see it.
    if (hadWorker) (globalThis as { Worker?: unknown }).Worker = globalWorker;
    else delete (globalThis as { Worker?: unknown }).Worker;
  }
}
