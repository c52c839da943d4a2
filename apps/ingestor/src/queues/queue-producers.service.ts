import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import {
  closeProducerTarget,
  type EmptyJob,
  type ForwardBatchJob,
  producerTarget,
  type ProducerTarget,
  queueBackend,
  QUEUES,
  QueueProducer,
  type ReplayParkedJob,
  type WriteSpilledBatchJob,
} from '#queues';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';

/**
 * The ingestor's producers. On Redis: one connection that never blocks the caller (no offline
 * queue, one retry), so every `add` fails fast while Redis is unreachable and nothing on the MQTT
 * path ever waits for Redis longer than SPILL_TIMEOUT_MS. With REDIS_URL unset the jobs live in
 * PostgreSQL (BullMQ's PostgreSQL backend); spilling a batch then fails with the database, so
 * "Postgres down" behaves as "both down": the broker keeps the unacknowledged messages.
 */
@Injectable()
export class QueueProducersService implements OnModuleDestroy {
  private readonly logger = new Logger('Queues');
  readonly target: ProducerTarget;
  readonly deviceLifecycle: QueueProducer<ReplayParkedJob | EmptyJob>;
  readonly storeForward: QueueProducer<WriteSpilledBatchJob>;
  readonly maintenance: QueueProducer<EmptyJob>;
  readonly forward: QueueProducer<ForwardBatchJob>;
  private lastState = '';

  constructor(@Inject(INGESTOR_CONFIG) config: IngestorConfig) {
    this.target = producerTarget(queueBackend(config));
    const timeout = config.SPILL_TIMEOUT_MS;
    this.deviceLifecycle = new QueueProducer(QUEUES.deviceLifecycle, this.target, timeout);
    this.storeForward = new QueueProducer(QUEUES.storeForward, this.target, timeout);
    this.maintenance = new QueueProducer(QUEUES.maintenance, this.target, timeout);
    this.forward = new QueueProducer(QUEUES.forward, this.target, timeout);
    // State changes are logged once each, not every reconnect attempt.
    const report = (state: string, line: string) => {
      if (state === this.lastState) return;
      this.lastState = state;
      if (state === 'ready') this.logger.log(line);
      else this.logger.warn(line);
    };
    if (this.target.kind === 'redis') {
      this.target.connection.on('ready', () => report('ready', 'redis reachable'));
      this.target.connection.on('error', (error: Error) =>
        report('down', `redis unreachable (${error.message}); the ingest path goes on without it`),
      );
    }
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([
      this.deviceLifecycle.close(),
      this.storeForward.close(),
      this.maintenance.close(),
      this.forward.close(),
    ]);
    closeProducerTarget(this.target);
  }
}
