/** Worker-thread entry of parse-pool.ts: parses the files it is sent and transfers the results back. */
import { parentPort } from 'node:worker_threads';
import { replyTo, type ParseTask } from './parse-task.ts';

parentPort!.on('message', async ({ id, task }: { id: number; task: ParseTask }) => {
  const { reply, transfer } = await replyTo(id, task);
  parentPort!.postMessage(reply, transfer);
});
