import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { forwardBatchJob, JOBS, QUEUES } from '#queues';
import { ForwardService } from '../live/forward.service.js';
import { type JobProcessor, parseJobData, unknownJob } from './job-processor.js';

@Injectable()
export class ForwardProcessor implements JobProcessor {
  readonly queue = QUEUES.forward;
  readonly concurrency = 8;
  readonly maxStalledCount = 100;

  constructor(private readonly forwards: ForwardService) {}

  process(job: Job): Promise<unknown> {
    if (job.name !== JOBS.forwardBatch) return unknownJob(job);
    return this.forwards.forward(parseJobData(forwardBatchJob, job));
  }
}
