import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { ApiConfig } from '#config';
import {
  closeProducerTarget,
  producerTarget,
  type ProducerTarget,
  QUEUES,
  QueueProducer,
  queueBackend,
} from '#queues';
import { API_CONFIG } from '../api.tokens.js';

/**
 * Every queue of the project as seen from the API, on whichever backend is configured: for job
 * counts in the metrics and for the queue dashboard. Fail-fast like every producer: a down Redis
 * makes their calls reject, never hang.
 */
@Injectable()
export class ApiQueuesService implements OnModuleDestroy {
  readonly target: ProducerTarget;
  readonly all: QueueProducer<unknown>[];

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.target = producerTarget(queueBackend(config));
    this.all = Object.values(QUEUES).map((name) => new QueueProducer<unknown>(name, this.target));
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled(this.all.map((queue) => queue.close()));
    closeProducerTarget(this.target);
  }
}
