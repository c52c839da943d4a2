import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { JOBS, QUEUES, type ReplayParkedJob, replayParkedJob } from './queues.js';

export interface ProducerOptions {
  redisUrl: string;
  /** BullMQ key prefix (QUEUE_PREFIX). */
  prefix: string;
  /** How long an enqueue may take before it is given up on (Redis down or slow). */
  timeoutMs?: number;
}

type DeviceLifecycleQueue = Queue<ReplayParkedJob, void, typeof JOBS.replayParked>;

/**
 * Typed producer of the device-lifecycle queue. Enqueueing must never hold up or fail the HTTP
 * request that triggered it: the connection does not queue commands while Redis is away (they
 * fail at once instead of waiting for a reconnect) and every add is bounded by `timeoutMs`.
 */
export class DeviceLifecycleProducer {
  private readonly connection: Redis;
  private readonly queue: DeviceLifecycleQueue;
  private readonly timeoutMs: number;

  constructor(options: ProducerOptions, onError: (error: Error) => void = () => undefined) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.connection = new Redis(options.redisUrl, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: this.timeoutMs,
    });
    this.connection.on('error', onError);
    this.queue = new Queue(QUEUES.deviceLifecycle, {
      connection: this.connection,
      prefix: options.prefix,
      defaultJobOptions: {
        attempts: 5,
        backoff: { type: 'exponential', delay: 1000 },
        // Completed jobs go so the same jobId can be enqueued again for a later re-activation;
        // failed ones are kept a day to be looked at (a new replay of that token waits for the
        // device-lifecycle sweep meanwhile).
        removeOnComplete: true,
        removeOnFail: { age: 24 * 3600 },
      },
    });
    this.queue.on('error', onError);
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
    await this.queue.close().catch(() => undefined);
    this.connection.disconnect();
  }
}

/** BullMQ refuses ":" in custom ids; encodeURIComponent removes it and stays one-to-one. */
export function replayJobId(token: string): string {
  return `replay-${encodeURIComponent(token)}`;
}
