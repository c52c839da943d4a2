import { Injectable } from '@nestjs/common';
import type { Job } from 'bullmq';
import { JOBS, QUEUES, emptyJob, replayParkedJob } from '#queues';
import { ParkedReplayService } from '../lifecycle/parked-replay.service.js';
import { type JobProcessor, parseJobData, unknownJob } from './job-processor.js';

@Injectable()
export class DeviceLifecycleProcessor implements JobProcessor {
  readonly queue = QUEUES.deviceLifecycle;
  // Replays of one ingestor run one at a time; across ingestors, deduplication by token keeps
  // two replays of the same token apart.
  readonly concurrency = 1;

  constructor(private readonly parked: ParkedReplayService) {}

  process(job: Job): Promise<unknown> {
    switch (job.name) {
      case JOBS.replayParked:
        return this.parked.replay(parseJobData(replayParkedJob, job).token);
      case JOBS.sweepParked:
        parseJobData(emptyJob, job);
        return this.parked.sweep();
      case JOBS.purgeParked:
        parseJobData(emptyJob, job);
        return this.parked.purgeExpired();
      default:
        return unknownJob(job);
    }
  }
}
