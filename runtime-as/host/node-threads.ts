/**
 * Node's workers for a threaded recognizer (threads.ts): `worker_threads`, running WORKER_BODY.
 * Kept apart so the browser entry never imports a Node module; the Node entry (node.ts) installs it.
 */
import { Worker } from 'node:worker_threads';
import { WORKER_BODY, type WorkerStarter } from './threads.ts';

const NODE_GLUE = `const { parentPort, workerData } = require('node:worker_threads');\nrun(workerData, (m) => parentPort.postMessage(m));\n`;

export const nodeWorker: WorkerStarter = (job) => {
  const worker = new Worker(`${WORKER_BODY}\n${NODE_GLUE}`, { eval: true, workerData: job });
  return {
    listen(onMessage, onFailure) {
      worker.on('message', onMessage);
      worker.on('error', (err: Error) => onFailure(err.message));
      worker.on('exit', (code: number) => onFailure(`a worker exited with code ${code}`));
      // A recognizer an app forgets to dispose() must not keep the process alive: its workers only
      // ever wait for work. After the listeners: a 'message' listener refs the worker's port again.
      worker.unref();
    },
    terminate: () => void worker.terminate(),
  };
};
