import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ApiConfig } from '#config';
import { tokenRef } from '#domain';
import {
  closeProducerTarget,
  JOBS,
  producerTarget,
  type ProducerTarget,
  QUEUES,
  QueueProducer,
  queueBackend,
  type ReplayParkedJob,
  replayParkedJobOptions,
} from '#queues';
import { API_CONFIG } from '../api.tokens.js';

/**
 * Tells the ingestor to replay what was parked for a token once a device holds it. Best effort:
 * the request that registered or re-activated the device never waits for or fails on the job
 * store; a failed enqueue is logged and left to the ingestor's periodic parked-messages sweep.
 */
@Injectable()
export class ReplayParkedNotifier implements OnModuleDestroy {
  private readonly logger = new Logger('ReplayParked');
  private readonly target: ProducerTarget;
  private readonly producer: QueueProducer<ReplayParkedJob>;
  private readonly pending = new Set<Promise<void>>();

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.target = producerTarget(queueBackend(config));
    this.producer = new QueueProducer<ReplayParkedJob>(QUEUES.deviceLifecycle, this.target);
  }

  request(token: string): void {
    const job = this.producer
      .add(JOBS.replayParked, { token }, replayParkedJobOptions(token))
      .then(
        () => undefined,
        (error: Error) =>
          this.logger.warn(
            `Could not enqueue the replay of parked messages for ${tokenRef(token)}: ${error.message}`,
          ),
      )
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.pending);
    await this.producer.close().catch(() => undefined);
    closeProducerTarget(this.target);
  }
}
