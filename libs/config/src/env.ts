import { z } from 'zod';
import { embeddedDatabaseUrl, embeddedPostgresDir, readEmbeddedCredentials } from './embedded-credentials.js';

/**
 * The one place that reads `process.env`. Each app parses its schema once, before Nest boots;
 * a bad or missing variable stops the process with a message naming every bad key.
 */
export class ConfigError extends Error {
  constructor(readonly issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Record<string, string | undefined>;

export const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const nodeEnv = z.enum(['development', 'test', 'production']).default('development');

/** An empty variable (`DATABASE_URL=` in an env file) means the same as an unset one. */
export const unsetIfEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/**
 * Single-node mode: what `npm start` runs in its own process when DATABASE_URL, MQTT_HOST or
 * REDIS_URL is unset. The embedded PostgreSQL listens on 127.0.0.1 only, with password auth.
 */
export const embeddedSchema = z.object({
  /** Data of the embedded services (PostgreSQL under `<dir>/postgres`), kept across restarts. */
  EMBEDDED_DATA_DIR: z.string().min(1).default('data'),
  /** Not 5432, so it never collides with a PostgreSQL already installed on the machine. */
  EMBEDDED_POSTGRES_PORT: int(1, 65535).default(5433),
  /** initdb and postgres refuse to run as root; as root they run as this OS user (created if missing). */
  EMBEDDED_POSTGRES_OS_USER: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'a POSIX user name')
    .default('sck-postgres'),
  /** Where devices connect to the embedded MQTT broker. */
  EMBEDDED_MQTT_PORT: int(1, 65535).default(1883),
  /** The embedded broker's address: 127.0.0.1 keeps it to this machine; 0.0.0.0 opens it to kits on the network. */
  EMBEDDED_MQTT_HOST: z.string().min(1).default('127.0.0.1'),
});

export const databaseSchema = z.object({
  /** Unset: the embedded PostgreSQL (started by `npm start`, see embeddedSchema). */
  DATABASE_URL: unsetIfEmpty(
    z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// or postgresql:// URL'),
  ),
  DATABASE_POOL_SIZE: int(1, 200).default(8),
  EMBEDDED_POSTGRES_PORT: embeddedSchema.shape.EMBEDDED_POSTGRES_PORT,
  EMBEDDED_DATA_DIR: embeddedSchema.shape.EMBEDDED_DATA_DIR,
});

/**
 * DATABASE_URL, or the embedded PostgreSQL's when it is unset; `DATABASE_EMBEDDED` says which.
 * Every app resolves it the same way, so `device:create` without a URL reaches the database of a
 * running `npm start`.
 */
export function resolveDatabase<
  T extends { DATABASE_URL?: string; EMBEDDED_POSTGRES_PORT: number; EMBEDDED_DATA_DIR: string },
>(env: T): Omit<T, 'DATABASE_URL'> & { DATABASE_URL: string; DATABASE_EMBEDDED: boolean } {
  const credentials = () => readEmbeddedCredentials(embeddedPostgresDir(env.EMBEDDED_DATA_DIR));
  return {
    ...env,
    DATABASE_URL: env.DATABASE_URL ?? embeddedDatabaseUrl(env.EMBEDDED_POSTGRES_PORT, credentials()?.app),
    DATABASE_EMBEDDED: env.DATABASE_URL === undefined,
  };
}

/** How a loader is called: `singleNode` by `npm start`, which starts the embedded services itself. */
export interface LoadOptions {
  singleNode?: boolean;
}

/**
 * In production the database is named. Unset, DATABASE_URL would mean the embedded PostgreSQL of a
 * running `npm start` on 127.0.0.1, which a deployed app never means: it is a start-up error
 * instead. Single-node mode starts that PostgreSQL itself, so there it may stay unset.
 */
export function requireDatabaseInProduction(
  env: { NODE_ENV: string; DATABASE_URL?: string; EMBEDDED_POSTGRES_PORT: number },
  ctx: z.RefinementCtx,
  options: LoadOptions,
): void {
  if (env.NODE_ENV !== 'production' || env.DATABASE_URL !== undefined || options.singleNode) return;
  ctx.addIssue({
    code: 'custom',
    path: ['DATABASE_URL'],
    message:
      'required in production (unset, the app would look for the embedded PostgreSQL of `npm start` ' +
      `on 127.0.0.1:${env.EMBEDDED_POSTGRES_PORT})`,
  });
}

export const redisSchema = z.object({
  /** Unset: BullMQ keeps its queues in PostgreSQL (schema `bullmq` of the app database). */
  REDIS_URL: unsetIfEmpty(z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL')),
  /** Prefix for every BullMQ key, so several deployments (or tests) can share one Redis (Redis only). */
  QUEUE_PREFIX: z.string().min(1).default('sck'),
});

const sharedSubscription = z
  .string()
  .regex(/^(none|\$queue|\$share\/[^/+#]+)$/, 'must be "$queue", "$share/<group>" or "none"');

export const mqttSchema = z.object({
  MQTT_HOST: unsetIfEmpty(z.string().min(1)),
  MQTT_PORT: int(1, 65535).default(1883),
  MQTT_USERNAME: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  MQTT_TLS: bool.default(false),
  MQTT_CLIENT_ID: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, "-" or "_", at most 40 characters')
    .optional(),
  /** `none` for a broker without shared subscriptions (then one connection: MQTT_CONNECTIONS=1). */
  MQTT_SHARED_SUBSCRIPTION: sharedSubscription
    .default('$share/sck-ingest')
    .transform((v) => (v === 'none' ? null : v)),
  /** 5, or 4 (MQTT 3.1.1) for brokers that speak nothing newer. */
  MQTT_PROTOCOL_VERSION: z
    .enum(['4', '5'])
    .default('5')
    .transform((v): 4 | 5 => (v === '4' ? 4 : 5)),
  /** Comma list; an empty entry means "no prefix". Default: just the plain topics. */
  MQTT_TOPIC_PREFIXES: z
    .string()
    .default('')
    .transform((s) => [...new Set(s.split(',').map((p) => p.trim()))])
    .pipe(
      z.array(
        z.string().regex(/^([^+#]*\/)?$/, 'each prefix must be empty or end with "/" and hold no wildcard'),
      ),
    ),
  /** Connections in the pool. Default 16 with a shared subscription (measured: bench/README.md), 1 without. */
  MQTT_CONNECTIONS: int(1, 1024).optional(),
  /**
   * Unacknowledged messages each connection may hold: the Receive Maximum it announces (MQTT 5),
   * also enforced by the ingestor itself (MQTT 3.1.1 brokers use their own in-flight limit).
   */
  MQTT_RECEIVE_MAXIMUM: int(1, 65_535).default(256),
  /** Payload bytes of messages not yet stored above which the pool stops reading (bounds memory). */
  MQTT_INFLIGHT_MAX_BYTES: int(65_536, 1024 * 1024 * 1024).default(8 * 1024 * 1024),
  MQTT_KEEPALIVE_SECONDS: int(5, 3600).default(60),
  /**
   * How long the broker keeps a stopped ingestor's session and queues its share: a restart (deploy,
   * crash loop) must come back within it. Decommission ends the session at once.
   */
  MQTT_SESSION_EXPIRY_SECONDS: int(0, 7 * 24 * 3600).default(6 * 3600),
});

export const ingestSchema = z.object({
  /** Flush a batch when it holds this many readings. */
  BATCH_MAX_ROWS: int(1, 100_000).default(5000),
  /**
   * Batches written at the same time. Two let one half of the MQTT pool receive while the other
   * half's batch commits; each takes a database connection.
   */
  BATCH_CONCURRENCY: int(1, 16).default(2),
  /** Flush a batch at the latest this long after its first message arrived. */
  BATCH_MAX_WAIT_MS: int(1, 60_000).default(20),
  /** Readings older than this instant are rejected as `timestamp_too_old`. */
  READINGS_FLOOR: z.iso.datetime({ offset: true }).default('2000-01-01T00:00:00Z'),
  /** Readings further ahead of the ingestor's clock than this are rejected as `timestamp_future`. */
  READINGS_MAX_FUTURE_HOURS: int(0, 24 * 365).default(24),
  /**
   * How long a batch is retried while the database is unreachable before its messages are left
   * unacknowledged (the broker then redelivers them). Keep it well under the MQTT keepalive.
   */
  DB_RETRY_WINDOW_MS: int(0, 600_000).default(10_000),
  /** Largest payload accepted; larger ones are recorded as `payload_too_large`. */
  MAX_PAYLOAD_BYTES: int(64, 16 * 1024 * 1024).default(64 * 1024),
  /** Bytes of a rejected payload kept in ingest_errors (its whole size is kept too). */
  INGEST_ERROR_PAYLOAD_PREFIX_BYTES: int(0, 64 * 1024).default(1024),
});

/** Device lifecycle and the BullMQ work around the ingest path (ingestor only). */
export const lifecycleSchema = z.object({
  /** Parked messages (unknown or archived tokens) kept per token; more are recorded as `parked_overflow`. */
  PARKED_MAX_PER_TOKEN: int(0, 10_000_000).default(10_000),
  /** Parked messages kept in total. */
  PARKED_MAX_TOTAL: int(0, 1_000_000_000).default(1_000_000),
  /** How long a parked message waits for its device before it is recorded as `parked_expired`. */
  PARKED_RETENTION_HOURS: int(1, 24 * 365).default(7 * 24),
  /** How often expired parked messages are purged. */
  PARKED_PURGE_EVERY_MS: int(1000, 7 * 24 * 3_600_000).default(3_600_000),
  /** How often parked messages of tokens that now have an active device are replayed. */
  PARKED_SWEEP_EVERY_MS: int(1000, 7 * 24 * 3_600_000).default(300_000),
  /** ingest_errors rows older than this are deleted. */
  INGEST_ERRORS_RETENTION_HOURS: int(1, 24 * 3650).default(30 * 24),
  /** device_inventory reports received longer ago than this are deleted. */
  INVENTORY_RETENTION_HOURS: int(1, 24 * 3650).default(365 * 24),
  /** Kits in setup (orphan devices) not registered within this are deleted (docs/onboarding.md). */
  ORPHAN_RETENTION_HOURS: int(1, 24 * 365).default(7 * 24),
  /** How often the three retentions above run. */
  RETENTION_PURGE_EVERY_MS: int(1000, 7 * 24 * 3_600_000).default(3_600_000),
  /** How often readings partitions are checked (ahead, and for backlog months in the default one). */
  PARTITION_UPKEEP_EVERY_MS: int(1000, 7 * 24 * 3_600_000).default(3_600_000),
  /** Monthly partitions created ahead of the current month. */
  PARTITION_MONTHS_AHEAD: int(0, 24).default(2),
  /**
   * Store-and-forward: a batch that cannot be written within DB_RETRY_WINDOW_MS goes to a Redis
   * job and its messages are acknowledged. Off: such messages stay unacknowledged.
   */
  SPILL_ENABLED: bool.default(true),
  /** Longest wait for Redis when spilling a batch; past it the batch stays unacknowledged. */
  SPILL_TIMEOUT_MS: int(100, 60_000).default(2000),
  /** Run the BullMQ workers (replay, spill, upkeep) in this process. */
  JOBS_ENABLED: bool.default(true),
  /**
   * How often the ingestor refreshes its row in `ingestor_instances` and looks for a decommission
   * request; a member is live while its last heartbeat is younger than three intervals.
   */
  INGESTOR_HEARTBEAT_MS: int(200, 600_000).default(5000),
});

/** Live readings (docs/live.md): the outbox, the firehose and forwarding relay, the SSE streams. */
export const liveSchema = z.object({
  /** Stored batches go to the live outbox and out on the firehose, streams and forwards. */
  LIVE_ENABLED: bool.default(true),
  /** How long stored batches stay resumable (SSE Last-Event-ID) and relayable. At least an hour. */
  LIVE_RETENTION_MINUTES: int(60, 7 * 24 * 60).default(60),
  /** Readers look for new batches at least this often, besides the commit notifications. */
  LIVE_POLL_MS: int(50, 60_000).default(1000),
  /**
   * Share of wall time each live output's relay (firehose, forwards) may spend while it is behind
   * (a page's worth of batches or more waits) and storing is not saturated. 100: it catches up at
   * full speed. Lower, storing keeps more of the process (the ingest path's latency at moderate
   * load), and an output that falls behind may stay behind until the rate drops.
   */
  LIVE_DUTY_PERCENT: int(1, 100).default(100),
  /** The same while the ingest path is saturated (every write slot busy, a batch waiting). */
  LIVE_SATURATED_DUTY_PERCENT: int(1, 100).default(5),
});

/** Server-sent event streams of the API. */
export const streamSchema = z.object({
  /** Streams one API process serves at once; more are refused with 503 and Retry-After. */
  STREAM_MAX_CLIENTS: int(1, 100_000).default(1000),
});

/** Rollups, compaction and retention of readings (docs/storage.md). */
export const storageSchema = z.object({
  /** How often the rollup job folds batch marks and recomputes closed hours. */
  ROLLUP_REFRESH_EVERY_MS: int(100, 3_600_000).default(10_000),
  /**
   * Share of wall time the rollup job may spend working while a backlog of hours waits: after each
   * step it pauses so that its steps fill at most this percentage, leaving Postgres to the batches.
   */
  ROLLUP_DUTY_PERCENT: int(1, 100).default(5),
  /** Days after which readings move into the compact layout; 0 turns compaction off. */
  COMPACT_AFTER_DAYS: int(0, 36_500).default(60),
  /** How often compaction (and retention) runs. */
  COMPACTION_EVERY_MS: int(1000, 7 * 24 * 3_600_000).default(3_600_000),
  /** Months of raw and compacted readings kept; older partitions are dropped, rollups kept. 0: keep all. */
  RETENTION_MONTHS: int(0, 1200).default(0),
});

export const httpSchema = z.object({
  PORT: int(0, 65535),
  HOST: z.string().default('0.0.0.0'),
});

export const logSchema = z.object({
  /** SIGTERM: how long the process may take to flush, acknowledge and disconnect before exiting 1. */
  SHUTDOWN_TIMEOUT_MS: int(100, 600_000).default(20_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'log', 'debug', 'verbose']).default('log'),
});

/** Parses `env` against `schema`, throwing one ConfigError that names every bad key. */
export function parseEnv<S extends z.ZodType>(schema: S, env: Env): z.output<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
  );
}
