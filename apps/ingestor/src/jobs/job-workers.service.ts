import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  type AppWorker,
  createWorker,
  type EmptyJob,
  JOBS,
  type ProducerQueue,
  queueBackend,
  type ReplayParkedJob,
  SPILL_BACKOFF_CAP_MS,
} from '#queues';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';
import { PartitionUpkeepService } from '../lifecycle/partition-upkeep.service.js';
import { IngestMetrics } from '../pipeline/ingest.metrics.js';
import { QueueProducersService } from '../queues/queue-producers.service.js';
import { DeviceLifecycleProcessor } from './device-lifecycle.processor.js';
import { ForwardProcessor } from './forward.processor.js';
import type { JobProcessor } from './job-processor.js';
import { MaintenanceProcessor } from './maintenance.processor.js';
import { StoreForwardProcessor } from './store-forward.processor.js';

const SCHEDULE_RETRY_MS = 5000;
const SHUTDOWN_GRACE_MS = 5000;

/**
 * Runs one BullMQ Worker per queue and registers the periodic jobs. Everything here is off the
 * MQTT path: Workers have their own Redis connections, and a Redis outage only delays jobs (errors
 * are logged once per outage, never thrown into the process).
 */
@Injectable()
export class JobWorkersService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Jobs');
  private readonly workers: AppWorker<unknown>[] = [];
  private readonly processors: JobProcessor[];
  private scheduleTimer: NodeJS.Timeout | undefined;
  private redisDown = false;
  private stopped = false;

  constructor(
    lifecycle: DeviceLifecycleProcessor,
    storeForward: StoreForwardProcessor,
    maintenance: MaintenanceProcessor,
    forward: ForwardProcessor,
    private readonly queues: QueueProducersService,
    private readonly partitions: PartitionUpkeepService,
    private readonly metrics: IngestMetrics,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {
    this.processors = [lifecycle, storeForward, maintenance, forward];
  }

  onApplicationBootstrap(): void {
    // Partitions are checked at once, without waiting for Redis or the first scheduled run.
    this.partitions.run().catch((error: unknown) => this.logger.warn(`partition upkeep: ${String(error)}`));
    if (!this.config.JOBS_ENABLED) return;
    for (const processor of this.processors) this.workers.push(this.startWorker(processor));
    this.schedule();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.scheduleTimer);
    // Active jobs get a grace period; an unfinished one is picked up again (stalled-job check) by
    // any ingestor, and is idempotent.
    await Promise.allSettled(
      this.workers.map(async (worker) => {
        if ((await within(worker.close(), SHUTDOWN_GRACE_MS)) === 'timeout') {
          // A worker whose Redis connection is reconnecting may never finish closing: cut it.
          this.logger.warn(
            `worker ${worker.name} did not close within ${SHUTDOWN_GRACE_MS} ms; disconnecting`,
          );
          await within(worker.disconnect(), SHUTDOWN_GRACE_MS);
        }
      }),
    );
  }

  private startWorker(processor: JobProcessor): AppWorker<unknown> {
    const worker = createWorker(processor.queue, (job) => processor.process(job), queueBackend(this.config), {
      concurrency: processor.concurrency,
      maxStalledCount: processor.maxStalledCount ?? 5,
      settings: {
        backoffStrategy: (attemptsMade: number) =>
          Math.min(500 * 2 ** Math.max(0, attemptsMade - 1), SPILL_BACKOFF_CAP_MS),
      },
    });
    worker.on('error', (error) => {
      if (!this.redisDown) this.logger.warn(`worker ${processor.queue}: ${error.message}`);
      this.redisDown = true;
    });
    worker.on('ready', () => {
      if (this.redisDown) this.logger.log(`worker ${processor.queue}: redis reachable again`);
      this.redisDown = false;
    });
    worker.on('completed', (job) => this.metrics.job(processor.queue, job.name, 'completed'));
    worker.on('failed', (job, error) => {
      this.metrics.job(processor.queue, job?.name ?? '?', 'failed');
      const attempts = job ? `attempt ${job.attemptsMade}/${job.opts.attempts ?? 1}` : '';
      this.logger.warn(`job ${processor.queue}/${job?.name ?? '?'} failed (${attempts}): ${error.message}`);
    });
    return worker;
  }

  /** Registers the periodic jobs; retried in the background until Redis takes them. */
  private schedule(): void {
    const c = this.config;
    const register = async () => {
      await this.upsert(this.queues.deviceLifecycle.bullQueue(), JOBS.purgeParked, c.PARKED_PURGE_EVERY_MS);
      await this.upsert(this.queues.deviceLifecycle.bullQueue(), JOBS.sweepParked, c.PARKED_SWEEP_EVERY_MS);
      await this.upsert(
        this.queues.maintenance.bullQueue(),
        JOBS.ensurePartitions,
        c.PARTITION_UPKEEP_EVERY_MS,
      );
      await this.upsert(this.queues.maintenance.bullQueue(), JOBS.purgeRetention, c.RETENTION_PURGE_EVERY_MS);
    };
    register().then(
      () => this.logger.log('periodic jobs registered'),
      (error: unknown) => {
        if (this.stopped) return;
        this.logger.warn(`periodic jobs not registered yet (${String(error)}); retrying`);
        this.scheduleTimer = setTimeout(() => this.schedule(), SCHEDULE_RETRY_MS);
      },
    );
  }

  private async upsert(
    queue: ProducerQueue<EmptyJob> | ProducerQueue<ReplayParkedJob | EmptyJob>,
    name: string,
    every: number,
  ) {
    await (queue as ProducerQueue<EmptyJob>).upsertJobScheduler(name, { every }, { name, data: {} });
  }
}

async function within<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), ms)));
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
