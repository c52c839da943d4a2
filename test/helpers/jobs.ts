import { Queue } from 'bullmq';
import { waitFor } from '../../tools/harness/poll.js';

/** A BullMQ queue seen from a test, under the ingestor's QUEUE_PREFIX. */
export function testQueue(name: string, redisUrl: string, prefix: string): Queue {
  const queue = new Queue(name, { connection: { url: redisUrl }, prefix });
  queue.on('error', () => undefined);
  return queue;
}

/** Adds a job and waits until the ingestor's worker has completed it; returns its result. */
export async function runJob(queue: Queue, name: string, data: object): Promise<unknown> {
  const job = await queue.add(name, data);
  return waitForJob(queue, job.id!);
}

export async function waitForJob(queue: Queue, id: string): Promise<unknown> {
  await waitFor(
    async () => {
      const state = await queue.getJobState(id);
      if (state === 'failed') throw new Error(`job ${id} failed: ${(await queue.getJob(id))?.failedReason}`);
      return state;
    },
    (state) => state === 'completed',
    { what: `job ${id} to complete`, timeoutMs: 30_000 },
  );
  return (await queue.getJob(id))?.returnvalue;
}
