import type pg from 'pg';
import type { IngestorProcess } from '../tools/harness/ingestor.js';
import type { TestBroker } from '../tools/harness/mosquitto.js';
import type { FleetMessage } from '../tools/simulator/fleet.js';
import { FleetPublisher } from '../tools/simulator/publisher.js';
import { perSecond } from '../tools/simulator/rate.js';
import { publishPrepared } from '../tools/simulator/traffic.js';
import { log, procCpuMs, sleep } from './processes.js';
import { perThousand } from './stats.js';

/** Connections the backlog is published over. */
export const PUBLISHERS = 8;
const STALL_MS = 20_000;
const POLL_MS = 50;

/** The fixed traffic every drain stores, and the distinct readings it holds. */
export interface Backlog {
  messages: readonly FleetMessage[];
  expected: number;
}

export interface Throughput {
  messages: number;
  expectedReadings: number;
  stored: number;
  /** From the first to the last commit, as seen by polling every POLL_MS (the bench's clock). */
  spanMs: number;
  readingsPerSecond: number;
  /** From the first to the last batch's transaction start (received_at, Postgres's clock). */
  receivedAtSpanMs: number;
  /** From resuming the consumer to seeing the last row stored (the bench's clock). */
  drainMs: number;
  /**
   * The consumer's CPU time (user + system) over drainMs, per 1,000 readings stored: the cost of a
   * reading, which a busy machine disturbs less than it disturbs the rate.
   */
  cpuMsPer1000: number;
  lost: number;
  duplicated: number;
}

interface Progress {
  /** Bench clock (Date.now()) when the first and the last stored rows were seen. */
  firstSeenAt: number;
  lastSeenAt: number;
  stored: number;
}

export type Drain = Progress & { drainMs: number; cpuMs: number };

/** What a drain stored: row count against the distinct readings sent, commit span. */
export async function storedSummary(sql: pg.Pool, backlog: Backlog, drain: Drain): Promise<Throughput> {
  const { rows } = await sql.query<{ n: string; span_ms: number | null; dupes: string }>(
    `SELECT count(*) AS n,
            extract(epoch FROM max(received_at) - min(received_at)) * 1000 AS span_ms,
            count(*) - count(DISTINCT (device_id, sensor_id, recorded_at)) AS dupes
       FROM readings`,
  );
  const stored = Number(rows[0].n);
  const spanMs = drain.lastSeenAt - drain.firstSeenAt;
  return {
    messages: backlog.messages.length,
    expectedReadings: backlog.expected,
    stored,
    spanMs,
    readingsPerSecond: perSecond(stored, spanMs),
    receivedAtSpanMs: Number(rows[0].span_ms ?? 0),
    drainMs: drain.drainMs,
    cpuMsPer1000: perThousand(drain.cpuMs, stored),
    lost: Math.max(0, backlog.expected - stored),
    duplicated: Math.max(0, stored - backlog.expected) + Number(rows[0].dupes),
  };
}

/**
 * Polls `progress()` every `pollMs` until it reaches `target` or has not moved for STALL_MS,
 * noting when rows were first and last seen: the commit span, to ±pollMs.
 */
async function waitForProgress(
  progress: () => Promise<number> | number,
  target: number,
  what: string,
  pollMs = POLL_MS,
): Promise<Progress> {
  let last = 0;
  let firstSeenAt = 0;
  let lastSeenAt = 0;
  const started = Date.now();
  for (;;) {
    const now = await progress();
    const at = Date.now();
    if (now > last) {
      if (last === 0) firstSeenAt = at;
      lastSeenAt = at;
      last = now;
    }
    if (now >= target) return { firstSeenAt, lastSeenAt, stored: now };
    if (at - (lastSeenAt || started) > STALL_MS) {
      log(`${what}: stalled at ${now} of ${target}`);
      return { firstSeenAt, lastSeenAt, stored: now };
    }
    await sleep(pollMs);
  }
}

/** The fixed backlog, published while the consumer is stopped, then drained as fast as it can. */
export async function drainBacklog(
  label: string,
  broker: TestBroker,
  backlog: Backlog,
  consumer: { pid: number; progress: () => Promise<number> | number; pollMs?: number },
): Promise<Drain> {
  process.kill(consumer.pid, 'SIGSTOP');
  const publisher = await FleetPublisher.connect({
    url: broker.url,
    connections: PUBLISHERS,
    qos: 1,
    clientIdPrefix: `bench-${label}`,
  });
  const publishMs = await publishPrepared(backlog.messages, publisher);
  await publisher.close();
  if (publisher.acked !== backlog.messages.length)
    throw new Error(`${label}: broker acked ${publisher.acked} of ${backlog.messages.length}`);
  log(
    `${label}: ${backlog.messages.length} messages queued in the broker in ${publishMs} ms; resuming the consumer`,
  );
  const resumed = Date.now();
  const cpuBefore = procCpuMs(consumer.pid);
  process.kill(consumer.pid, 'SIGCONT');
  const progress = await waitForProgress(consumer.progress, backlog.expected, label, consumer.pollMs);
  const cpuMs = procCpuMs(consumer.pid) - cpuBefore;
  return { ...progress, drainMs: progress.lastSeenAt - resumed, cpuMs };
}

export interface BatchStats {
  batches: number;
  meanBatchMs: number;
  meanReadingsPerBatch: number;
}

export type BatchSnapshot = Awaited<ReturnType<typeof batchSnapshot>>;

/** The ingestor's batch counters now, to compare with a later snapshot. */
export async function batchSnapshot(ingestor: IngestorProcess) {
  const [count, seconds, stored] = await Promise.all([
    ingestor.metric('sck_ingest_batches_total'),
    ingestor.metric('sck_ingest_batch_seconds_sum'),
    ingestor.metric('sck_ingest_readings_stored_total'),
  ]);
  return { count, seconds, stored };
}

/** Batches the ingestor committed between two snapshots of its metrics. */
export function batchStats(before: BatchSnapshot, after: BatchSnapshot): BatchStats {
  const batches = after.count - before.count;
  return {
    batches,
    meanBatchMs: batches ? ((after.seconds - before.seconds) * 1000) / batches : Number.NaN,
    meanReadingsPerBatch: batches ? (after.stored - before.stored) / batches : Number.NaN,
  };
}
