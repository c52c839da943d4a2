import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JOBS, QUEUES, writeSpilledBatchJob } from '#queues';
import { BatchWriterService } from '../pipeline/batch-writer.service.js';
import { fromSpilled } from '../pipeline/spilled-entry.js';
import { type JobProcessor, parseJobData, unknownJob } from './job-processor.js';

@Injectable()
export class StoreForwardProcessor implements JobProcessor {
  readonly queue = QUEUES.storeForward;
  readonly concurrency = 2;
  // A spilled batch is acknowledged data: an ingestor crashing while writing it must never make
  // it fail for good.
  readonly maxStalledCount = 1000;

  constructor(private readonly writer: BatchWriterService) {}

  /**
   * Writes a spilled batch with the same writer (and statement) as live batches: idempotent, so
   * a job retried after a commit whose reply was lost stores nothing twice. While Postgres is
   * still down the writer throws and BullMQ retries with capped exponential backoff.
   */
  async process(job: Job): Promise<number> {
    if (job.name !== JOBS.writeSpilledBatch) return unknownJob(job);
    const { entries } = parseJobData(writeSpilledBatchJob, job);
    await this.writer.write(entries.map(fromSpilled));
    return entries.length;
  }
}
