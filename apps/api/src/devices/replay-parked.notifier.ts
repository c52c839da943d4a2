import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import type { ApiConfig } from '../../../../libs/config/src/index.js';
import {
  DeviceLifecycleProducer,
  describeQueueBackend,
  queueBackend,
} from '../../../../libs/queues/src/index.js';
import { API_CONFIG } from '../api.tokens.js';

const QUIET_MS = 60_000;

/**
 * Tells the ingestor to replay what was parked for a token once a device holds it. Best effort:
 * the request that registered or re-activated the device never waits for or fails on the queue; a
 * failed enqueue is logged and left to the device-lifecycle sweep.
 */
@Injectable()
export class ReplayParkedNotifier implements OnModuleDestroy {
  private readonly logger = new Logger('ReplayParked');
  private readonly producer: DeviceLifecycleProducer;
  private readonly pending = new Set<Promise<void>>();
  private lastConnectionWarning = 0;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    const backend = queueBackend(config);
    this.producer = new DeviceLifecycleProducer({ backend }, (error) => {
      if (Date.now() - this.lastConnectionWarning < QUIET_MS) return;
      this.lastConnectionWarning = Date.now();
      this.logger.warn(
        `${describeQueueBackend(backend)} unavailable (${error.message}); replays of parked messages cannot be enqueued`,
      );
    });
  }

  request(token: string): void {
    const job = this.producer
      .enqueueReplayParked(token)
      .catch((error: Error) =>
        this.logger.warn(
          `Could not enqueue the replay of parked messages for token "${token}": ${error.message}`,
        ),
      )
      .finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all(this.pending);
    await this.producer.close();
  }
}
