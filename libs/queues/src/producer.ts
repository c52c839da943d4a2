import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { DEFAULT_JOB_OPTIONS, JOBS, QUEUES, type ReplayParkedJob, replayParkedJobOptions } from './queues.js';

export interface ProducerOptions {
  redisUrl: string;
  prefix: string;
}

export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
}

/**
 * A Redis connection for producers that never blocks its caller: commands fail at once while
 * Redis is unreachable (no offline queue, one retry) instead of piling up in memory, and the
 * client keeps reconnecting in the background.
 */
export function createProducerConnection(url: string): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2000,
    retryStrategy: (times) => Math.min(200 * times, 2000),
  });
  // Errors are reported through the callers' rejected promises; an unhandled 'error' event would
  // otherwise crash the process.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * A queue producer with project defaults; `add` fails fast (never hangs) when Redis is down. The
 * BullMQ Queue is built only once Redis answers and rebuilt after a failure: a Queue created while
 * Redis is unreachable fails its initialisation for good.
 */
export class QueueProducer<Data> {
  private queue: Queue<Data> | undefined;

  constructor(
    readonly name: string,
    private readonly connection: Redis,
    private readonly prefix: string,
    private readonly timeoutMs = 2000,
  ) {}

  get ready(): boolean {
    return this.connection.status === 'ready';
  }

  async add(jobName: string, data: Data, opts: Parameters<Queue<Data>['add']>[2] = {}): Promise<string> {
    if (!this.ready) throw new RedisUnavailableError(`redis is ${this.connection.status}`);
    const queue = (this.queue ??= this.createQueue());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RedisUnavailableError(`redis did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      const job = await Promise.race([queue.add(jobName as never, data as never, opts), timeout]);
      return job.id ?? '';
    } catch (error) {
      this.queue = undefined;
      queue.close().catch(() => undefined);
      throw error instanceof RedisUnavailableError ? error : new RedisUnavailableError(String(error));
    } finally {
      clearTimeout(timer);
    }
  }

  /** The BullMQ Queue itself (for job schedulers); throws RedisUnavailableError while Redis is down. */
  bullQueue(): Queue<Data> {
    if (!this.ready) throw new RedisUnavailableError(`redis is ${this.connection.status}`);
    return (this.queue ??= this.createQueue());
  }

  async close(): Promise<void> {
    await this.queue?.close();
    this.queue = undefined;
  }

  private createQueue(): Queue<Data> {
    const queue = new Queue<Data>(this.name, {
      connection: this.connection,
      prefix: this.prefix,
      defaultJobOptions: DEFAULT_JOB_OPTIONS,
      skipWaitingForReady: true,
    });
    queue.on('error', () => undefined);
    return queue;
  }
}

/**
 * Enqueues the replay of a token's parked messages, for one-shot callers such as scripts and the
 * API. Waits up to `timeoutMs` for Redis; throws RedisUnavailableError if it does not answer.
 */
export async function enqueueReplayParked(
  options: ProducerOptions & { token: string; timeoutMs?: number },
): Promise<string> {
  const connection = createProducerConnection(options.redisUrl);
  const producer = new QueueProducer<ReplayParkedJob>(QUEUES.deviceLifecycle, connection, options.prefix);
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    while (!producer.ready && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    return await producer.add(
      JOBS.replayParked,
      { token: options.token },
      replayParkedJobOptions(options.token),
    );
  } finally {
    await producer.close().catch(() => undefined);
    connection.disconnect();
  }
}
