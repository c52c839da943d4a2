import {
  type ConnectionOptions,
  type JobProgress,
  type PostgresConnectionOptions,
  type PostgresPoolConfig,
  type PostgresQueueBackend,
  type Processor,
  Queue,
  type QueueOptions,
  type RedisQueueBackend,
  Worker,
  type WorkerOptions,
  createPostgresBackend,
} from 'bullmq';

/**
 * Where BullMQ keeps its queues: Redis when REDIS_URL is set, otherwise the app's PostgreSQL
 * (BullMQ's PostgreSQL backend, tables in the schema `bullmq`, created on first use under an
 * advisory lock). The one place that makes this choice; every queue and worker goes through
 * createQueue / createWorker so both backends run the same code.
 */
export type QueueBackend = { kind: 'redis'; url: string; prefix: string } | { kind: 'postgres'; url: string };

/** The part of ApiConfig / IngestorConfig the choice depends on. */
export interface QueueBackendConfig {
  DATABASE_URL: string;
  REDIS_URL?: string;
  /** BullMQ key prefix in Redis; PostgreSQL isolates by database (and schema) instead. */
  QUEUE_PREFIX: string;
}

export function queueBackend(config: QueueBackendConfig): QueueBackend {
  return config.REDIS_URL
    ? { kind: 'redis', url: config.REDIS_URL, prefix: config.QUEUE_PREFIX }
    : { kind: 'postgres', url: config.DATABASE_URL };
}

/** PostgreSQL connections a queue or worker opens unless told otherwise. */
const POSTGRES_POOL_MAX = 4;

/** A queue on either backend; both have the same API. */
export type AppQueue<Data, Result = unknown, Name extends string = string> =
  | Queue<Data, Result, Name, Data, Result, Name, RedisQueueBackend, ConnectionOptions>
  | Queue<Data, Result, Name, Data, Result, Name, PostgresQueueBackend, PostgresConnectionOptions>;

/** A worker on either backend; both have the same API. */
export type AppWorker<Data, Result = unknown, Name extends string = string> =
  | Worker<Data, Result, Name, RedisQueueBackend, JobProgress, ConnectionOptions>
  | Worker<Data, Result, Name, PostgresQueueBackend, JobProgress, PostgresConnectionOptions>;

type Without<O> = Omit<O, 'connection' | 'prefix'>;

/**
 * `new Queue(name, options)` on the configured backend. `options` are BullMQ's QueueOptions
 * without `connection` and `prefix`, which come from the backend; `postgresPoolMax` caps the
 * queue's PostgreSQL connections (PostgreSQL backend only). The queue owns its connection:
 * `close()` releases it.
 */
export function createQueue<Data, Result = unknown, Name extends string = string>(
  name: string,
  backend: QueueBackend,
  options: Without<QueueOptions> = {},
  postgresPoolMax = POSTGRES_POOL_MAX,
): AppQueue<Data, Result, Name> {
  if (backend.kind === 'redis') {
    return new Queue<Data, Result, Name, Data, Result, Name, RedisQueueBackend, ConnectionOptions>(name, {
      ...options,
      connection: { url: backend.url },
      prefix: backend.prefix,
    });
  }
  return new Queue<Data, Result, Name, Data, Result, Name, PostgresQueueBackend, PostgresConnectionOptions>(
    name,
    { ...options, connection: postgresConnection(backend, postgresPoolMax) },
    createPostgresBackend,
  );
}

/**
 * `new Worker(name, processor, options)` on the configured backend; `options` as for
 * createQueue. Close it before the database it runs on goes away.
 */
export function createWorker<Data, Result = unknown, Name extends string = string>(
  name: string,
  processor: Processor<Data, Result, Name>,
  backend: QueueBackend,
  options: Without<WorkerOptions> = {},
): AppWorker<Data, Result, Name> {
  if (backend.kind === 'redis') {
    return new Worker<Data, Result, Name, RedisQueueBackend, JobProgress, ConnectionOptions>(
      name,
      processor,
      {
        ...options,
        // Workers block on Redis; BullMQ requires retries per request to be unlimited for them.
        connection: { maxRetriesPerRequest: null, url: backend.url },
        prefix: backend.prefix,
      },
    );
  }
  return new Worker<Data, Result, Name, PostgresQueueBackend, JobProgress, PostgresConnectionOptions>(
    name,
    processor,
    { ...options, connection: postgresConnection(backend, POSTGRES_POOL_MAX) },
    createPostgresBackend,
  );
}

function postgresConnection(
  backend: Extract<QueueBackend, { kind: 'postgres' }>,
  max: number,
): PostgresPoolConfig {
  // migrate: the first queue or worker creates (or upgrades) BullMQ's tables; BullMQ serialises
  // concurrent starters with an advisory lock, as our own migrations do.
  return { max, connectionString: backend.url, migrate: true };
}
