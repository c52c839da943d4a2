import { type AppQueue, type QueueBackend, createQueue } from './queue-backend.js';
import { JOBS, QUEUES, type ReplayParkedJob, replayParkedJob } from './queues.js';

export interface ProducerOptions {
  /** Redis or PostgreSQL, from queueBackend(config). */
  backend: QueueBackend;
  /** How long an enqueue may take before it is given up on (Redis or PostgreSQL down or slow). */
  timeoutMs?: number;
}

type DeviceLifecycleQueue = AppQueue<ReplayParkedJob, void, typeof JOBS.replayParked>;

/**
 * Typed producer of the device-lifecycle queue. Enqueueing must never hold up or fail the HTTP
 * request that triggered it: on Redis the connection does not queue commands while Redis is away
 * (they fail at once instead of waiting for a reconnect), on PostgreSQL connecting is bounded, and
 * every add is bounded by `timeoutMs`.
 */
export class DeviceLifecycleProducer {
  private readonly queue: DeviceLifecycleQueue;
  private readonly timeoutMs: number;

  constructor(options: ProducerOptions, onError: (error: Error) => void = () => undefined) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    const queue: DeviceLifecycleQueue = createQueue<ReplayParkedJob, void, typeof JOBS.replayParked>(
      QUEUES.deviceLifecycle,
      options.backend,
      {
        defaultJobOptions: {
          attempts: 5,
          backoff: { type: 'exponential', delay: 1000 },
          // Completed jobs go so the same jobId can be enqueued again for a later re-activation;
          // failed ones are kept a day to be looked at (a new replay of that token waits for the
          // device-lifecycle sweep meanwhile).
          removeOnComplete: true,
          removeOnFail: { age: 24 * 3600 },
        },
      },
      {
        redis: { enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: this.timeoutMs },
        postgres: { max: 2, connectionTimeoutMillis: this.timeoutMs },
      },
    );
    queue.on('error', onError);
    this.queue = queue;
  }

  /**
   * Asks the ingestor to replay the parked messages of `token`. The jobId is derived from the
   * token alone, so a replay already waiting is not enqueued twice.
   */
  async enqueueReplayParked(token: string): Promise<void> {
    const data = replayParkedJob.parse({ token });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`enqueue timed out after ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      await Promise.race([this.queue.add(JOBS.replayParked, data, { jobId: replayJobId(token) }), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    // The queue owns its connection (ioredis client or pg pool) and releases it here.
    await this.queue.close().catch(() => undefined);
  }
}

/** BullMQ refuses ":" in custom ids; encodeURIComponent removes it and stays one-to-one. */
export function replayJobId(token: string): string {
  return `replay-${encodeURIComponent(token)}`;
}
