import { setTimeout as sleep } from 'node:timers/promises';
import { type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { createQueue, type QueueBackend } from './queue-backend.js';
import { DEFAULT_JOB_OPTIONS, JOBS, QUEUES, type ReplayParkedJob, replayParkedJobOptions } from './queues.js';

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
 * Where a producer puts its jobs. Redis: one shared, fail-fast connection (see
 * createProducerConnection). PostgreSQL: BullMQ's PostgreSQL backend in the app's database; there
 * is no separate store to be down, so the producer is always ready.
 */
export type ProducerTarget =
  { kind: 'redis'; connection: Redis; prefix: string } | { kind: 'postgres'; backend: QueueBackend };

/** The producer target for a backend; for Redis this opens the shared fail-fast connection. */
export function producerTarget(backend: QueueBackend): ProducerTarget {
  return backend.kind === 'redis'
    ? { kind: 'redis', connection: createProducerConnection(backend.url), prefix: backend.prefix }
    : { kind: 'postgres', backend };
}

/** Releases what producerTarget opened. */
export function closeProducerTarget(target: ProducerTarget): void {
  if (target.kind === 'redis') target.connection.disconnect();
}

/** What producers and schedulers use of a BullMQ Queue, on either backend. */
export interface ProducerQueue<Data> {
  add(name: string, data: Data, opts?: JobsOptions): Promise<{ id?: string }>;
  upsertJobScheduler(
    id: string,
    repeat: { every: number },
    template: { name: string; data: Data },
  ): Promise<unknown>;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
  close(): Promise<void>;
}

/**
 * A queue producer with project defaults; `add` fails fast (never hangs) when its store is down.
 * The BullMQ Queue is built only once Redis answers and rebuilt after a failure: a Queue created
 * while Redis is unreachable fails its initialisation for good.
 */
export class QueueProducer<Data> {
  private queue: ProducerQueue<Data> | undefined;

  constructor(
    readonly name: string,
    private readonly target: ProducerTarget,
    private readonly timeoutMs = 2000,
  ) {}

  get ready(): boolean {
    return this.target.kind === 'postgres' || this.target.connection.status === 'ready';
  }

  private get state(): string {
    return this.target.kind === 'redis' ? `redis is ${this.target.connection.status}` : 'ready';
  }

  async add(jobName: string, data: Data, opts: JobsOptions = {}): Promise<string> {
    if (!this.ready) throw new RedisUnavailableError(this.state);
    const queue = (this.queue ??= this.createQueue());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new RedisUnavailableError(`the job store did not answer within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
    });
    try {
      const job = await Promise.race([queue.add(jobName, data, opts), timeout]);
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
  bullQueue(): ProducerQueue<Data> {
    if (!this.ready) throw new RedisUnavailableError(this.state);
    return (this.queue ??= this.createQueue());
  }

  /** Jobs per state, for metrics; rejects while the job store is unreachable. */
  async counts(states: readonly string[]): Promise<Record<string, number>> {
    return this.bullQueue().getJobCounts(...states);
  }

  async close(): Promise<void> {
    await this.queue?.close();
    this.queue = undefined;
  }

  private createQueue(): ProducerQueue<Data> {
    const options = { defaultJobOptions: DEFAULT_JOB_OPTIONS, skipWaitingForReady: true };
    const queue =
      this.target.kind === 'redis'
        ? new Queue<Data>(this.name, {
            ...options,
            connection: this.target.connection,
            prefix: this.target.prefix,
          })
        : createQueue<Data>(this.name, this.target.backend, options);
    queue.on('error', () => undefined);
    return queue as unknown as ProducerQueue<Data>;
  }
}

/**
 * Enqueues the replay of a token's parked messages, for one-shot callers such as scripts. Waits up
 * to `timeoutMs` for the job store; throws RedisUnavailableError if it does not answer.
 */
export async function enqueueReplayParked(options: {
  backend: QueueBackend;
  token: string;
  timeoutMs?: number;
}): Promise<string> {
  const target = producerTarget(options.backend);
  const producer = new QueueProducer<ReplayParkedJob>(QUEUES.deviceLifecycle, target);
  try {
    const deadline = Date.now() + (options.timeoutMs ?? 5000);
    while (!producer.ready && Date.now() < deadline) await sleep(50);
    return await producer.add(
      JOBS.replayParked,
      { token: options.token },
      replayParkedJobOptions(options.token),
    );
  } finally {
    await producer.close().catch(() => undefined);
    closeProducerTarget(target);
  }
}
