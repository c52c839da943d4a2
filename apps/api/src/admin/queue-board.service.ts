import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { Queue } from 'bullmq';
import { type BullBoardInstance, InjectBullBoard } from '@bull-board/nestjs';
import type { ApiConfig } from '#config';
import { type AppQueue, createQueue, QUEUES, queueBackend } from '#queues';
import { API_CONFIG } from '../api.tokens.js';

/**
 * Puts every queue of the project on the Bull Board dashboard (/admin/queues), on whichever
 * backend is configured. The dashboard gets its own Queue objects: unlike the producers', their
 * connections queue commands while Redis is away, so the page waits for Redis instead of failing
 * at once.
 */
@Injectable()
export class QueueBoardService implements OnModuleInit, OnModuleDestroy {
  private readonly queues: AppQueue<unknown>[];

  constructor(
    @InjectBullBoard() private readonly board: BullBoardInstance,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    const backend = queueBackend(config);
    this.queues = Object.values(QUEUES).map((name) => {
      // One PostgreSQL connection per queue: the dashboard's queries are few and one at a time.
      const queue = createQueue<unknown>(name, backend, {}, 1);
      queue.on('error', () => undefined);
      return queue;
    });
  }

  onModuleInit(): void {
    // The adapter is typed for Redis queues but also reads BullMQ's PostgreSQL backend (it asks
    // the queue for its backend and shows PostgreSQL's stats instead of Redis's).
    for (const queue of this.queues) this.board.addQueue(new BullMQAdapter(queue as Queue));
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.allSettled(this.queues.map((queue) => queue.close()));
  }
}
