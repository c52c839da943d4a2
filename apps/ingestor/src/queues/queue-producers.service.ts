import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { Redis } from 'ioredis';
import {
  createProducerConnection,
  type EmptyJob,
  QUEUES,
  QueueProducer,
  type ReplayParkedJob,
  type WriteSpilledBatchJob,
} from '../../../../libs/queues/src/index.js';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';

/**
 * The ingestor's producers, on one Redis connection that never blocks the caller: no offline
 * queue, one retry, so every `add` fails fast while Redis is unreachable and nothing on the MQTT
 * path ever waits for Redis longer than SPILL_TIMEOUT_MS.
 */
@Injectable()
export class QueueProducersService implements OnModuleDestroy {
  private readonly logger = new Logger('Queues');
  readonly connection: Redis;
  readonly deviceLifecycle: QueueProducer<ReplayParkedJob | EmptyJob>;
  readonly storeForward: QueueProducer<WriteSpilledBatchJob>;
  readonly maintenance: QueueProducer<EmptyJob>;
  private lastState = '';

  constructor(@Inject(INGESTOR_CONFIG) config: IngestorConfig) {
    this.connection = createProducerConnection(config.REDIS_URL);
    const timeout = config.SPILL_TIMEOUT_MS;
    this.deviceLifecycle = new QueueProducer(
      QUEUES.deviceLifecycle,
      this.connection,
      config.QUEUE_PREFIX,
      timeout,
    );
    this.storeForward = new QueueProducer(QUEUES.storeForward, this.connection, config.QUEUE_PREFIX, timeout);
    this.maintenance = new QueueProducer(QUEUES.maintenance, this.connection, config.QUEUE_PREFIX, timeout);
    // State changes are logged once each, not every reconnect attempt.
    const report = (state: string, line: string) => {
      if (state === this.lastState) return;
      this.lastState = state;
      if (state === 'ready') this.logger.log(line);
      else this.logger.warn(line);
    };
    this.connection.on('ready', () => report('ready', 'redis reachable'));
    this.connection.on('error', (error: Error) =>
      report('down', `redis unreachable (${error.message}); the ingest path goes on without it`),
    );
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled([
      this.deviceLifecycle.close(),
      this.storeForward.close(),
      this.maintenance.close(),
    ]);
    this.connection.disconnect();
  }
}
