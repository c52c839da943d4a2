import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JOBS, QUEUES, emptyJob } from '../../../../libs/queues/src/index.js';
import { PartitionUpkeepService } from '../lifecycle/partition-upkeep.service.js';
import { type JobProcessor, parseJobData, unknownJob } from './job-processor.js';

@Injectable()
export class MaintenanceProcessor implements JobProcessor {
  readonly queue = QUEUES.maintenance;
  readonly concurrency = 1;

  constructor(private readonly partitions: PartitionUpkeepService) {}

  process(job: Job): Promise<unknown> {
    if (job.name !== JOBS.ensurePartitions) return unknownJob(job);
    parseJobData(emptyJob, job);
    return this.partitions.run();
  }
}
