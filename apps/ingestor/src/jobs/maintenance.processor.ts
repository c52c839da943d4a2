import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JOBS, QUEUES, emptyJob } from '#queues';
import { PartitionUpkeepService } from '../lifecycle/partition-upkeep.service.js';
import { RetentionService } from '../lifecycle/retention.service.js';
import { type JobProcessor, parseJobData, unknownJob } from './job-processor.js';

@Injectable()
export class MaintenanceProcessor implements JobProcessor {
  readonly queue = QUEUES.maintenance;
  readonly concurrency = 1;

  constructor(
    private readonly partitions: PartitionUpkeepService,
    private readonly retention: RetentionService,
  ) {}

  process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JOBS.ensurePartitions:
        parseJobData(emptyJob, job);
        return this.partitions.run();
      case JOBS.purgeRetention:
        parseJobData(emptyJob, job);
        return this.retention.run();
      default:
        return unknownJob(job);
    }
  }
}
