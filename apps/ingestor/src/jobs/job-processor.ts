import { type Job, UnrecoverableError } from 'bullmq';
import type { z } from 'zod';

/** One processor per queue: parses `data` with the queue contract's schema and calls a service. */
export interface JobProcessor {
  readonly queue: string;
  /** Jobs of this queue processed at the same time by this ingestor. */
  readonly concurrency: number;
  /**
   * How often a job may be found stalled (its worker died mid-job) before BullMQ fails it for good.
   * BullMQ's default is 1.
   */
  readonly maxStalledCount?: number;
  process(job: Job): Promise<unknown>;
}

/** Job data that does not match its schema can never succeed: failed for good, kept in Redis. */
export function parseJobData<S extends z.ZodType>(schema: S, job: Job): z.output<S> {
  const parsed = schema.safeParse(job.data);
  if (!parsed.success) {
    throw new UnrecoverableError(`job ${job.name} (${job.id}) has invalid data: ${parsed.error.message}`);
  }
  return parsed.data;
}

export function unknownJob(job: Job): never {
  throw new UnrecoverableError(`no handler for job "${job.name}" on queue ${job.queueName}`);
}
