import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import { type IngestorConfig, loadIngestorConfig } from '#config';
import {
  CompactionRepository,
  IngestRepository,
  type PrismaService,
  type RollupQuery,
  refreshRollups,
  RollupsRepository,
  rollupStatement,
  rollupStatementFor,
  type StoredReading,
} from '#db';
import { CompactionService, type CompactionRun } from '../apps/ingestor/src/storage/compaction.service.js';
import { StorageJobsService } from '../apps/ingestor/src/storage/storage-jobs.service.js';
import { Fleet } from '../tools/simulator/fleet.js';
import { percentile } from './stats.js';
import { perSecond } from '../tools/simulator/rate.js';
import { batchesOf } from './phases/write-ceiling.js';

const DAY = 86_400_000;
const FAR_FUTURE = new Date('2100-01-01T00:00:00Z');
export const HORIZON_DAYS = 60;
/** The ingestor's defaults for the rollup job's period and duty. */
const { ROLLUP_REFRESH_EVERY_MS, ROLLUP_DUTY_PERCENT } = loadIngestorConfig({});

/** A day of the simulator's traffic per kit (one message a minute), as batches of stored rows. */
export function trafficDays(
  fleet: Fleet,
  ids: Map<string, number>,
  kits: number,
  start: number,
  days: number,
  batchSize: number,
): StoredReading[][][] {
  const perDay: StoredReading[][][] = [];
  for (let d = 0; d < days; d++) {
    const messages = [];
    const count = kits * 1440;
    for (let i = 0; i < count; i++) messages.push(fleet.next(start + d * DAY + (i * DAY) / count));
    perDay.push(batchesOf(messages, fleet.tokens, ids, batchSize));
  }
  return perDay;
}

/** Writes batches two at a time through storeBatch; readings per second. */
export async function writeBatches(ingest: IngestRepository, batches: StoredReading[][]): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    [0, 1].map(async () => {
      while (next < batches.length) await ingest.storeBatch({ readings: batches[next++], errors: [] });
    }),
  );
  return perSecond(
    batches.reduce((n, b) => n + b.length, 0),
    performance.now() - started,
  );
}

export async function rollUpEverything(sql: pg.Pool): Promise<void> {
  for (;;) {
    const step = await refreshRollups(sql, FAR_FUTURE);
    if (step && step.marks === 0 && step.buckets === 0) return;
  }
}

/** Runs of each side in the maintenance-cost measurement. */
const MAINTENANCE_ROUNDS = 4;

/**
 * Ingest throughput with and without the rollup upkeep, on the same batches, alternately
 * (A B B A A B B A, tables emptied in between). Without: a trigger drops every rollup_marks row
 * and no job runs. With: marks written and the rollup job beside the writers at the ingestor's
 * default period, recomputing closed hours (all of them here: the traffic is 100 days old).
 */
export async function measureMaintenanceCost(
  sql: pg.Pool,
  prisma: PrismaService,
  batches: StoredReading[][],
) {
  // A fresh repository per run: one that remembers its sensor pairs would skip them after TRUNCATE.
  const write = () => writeBatches(new IngestRepository(prisma), batches);
  const reset = () =>
    sql.query('TRUNCATE readings, device_sensors, rollup_marks, rollup_pending, readings_hourly');
  await sql.query(
    `CREATE FUNCTION bench_drop_mark() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NULL; END'`,
  );
  const without: number[] = [];
  const withJob: number[] = [];
  const runWithout = async () => {
    await reset();
    await sql.query(
      'CREATE TRIGGER bench_drop_mark BEFORE INSERT ON rollup_marks FOR EACH ROW EXECUTE FUNCTION bench_drop_mark()',
    );
    without.push(await write());
    await sql.query('DROP TRIGGER bench_drop_mark ON rollup_marks');
  };
  const runWith = async () => {
    await reset();
    let writing = true;
    // The ingestor's own job (its pacing included), every ROLLUP_REFRESH_EVERY_MS from the start.
    const config = { ROLLUP_DUTY_PERCENT } as IngestorConfig;
    const jobs = new StorageJobsService(new RollupsRepository(prisma), {} as CompactionService, config);
    const job = (async () => {
      while (writing) {
        await jobs.refreshRollups();
        const until = Date.now() + ROLLUP_REFRESH_EVERY_MS;
        while (writing && Date.now() < until) await sleep(50);
      }
    })();
    withJob.push(await write());
    writing = false;
    await jobs.onModuleDestroy();
    await job;
  };
  // A B B A A B B A: a drift of the machine's load weighs on both alike.
  for (let round = 0; round < MAINTENANCE_ROUNDS; round++) {
    for (const run of round % 2 === 0 ? [runWithout, runWith] : [runWith, runWithout]) await run();
  }
  await sql.query('DROP FUNCTION bench_drop_mark()');
  await reset();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { withoutPerSecond: mean(without), withPerSecond: mean(withJob), runs: { without, with: withJob } };
}

/** Bytes on disk (table, TOAST and indexes) per reading: raw partitions, compacted rows, rollups. */
export async function bytesPerReading(sql: pg.Pool) {
  await sql.query('VACUUM ANALYZE readings, readings_compact, readings_hourly');
  const { rows } = await sql.query<{
    raw_bytes: string;
    raw: string;
    compact_bytes: string;
    compacted: string;
    hourly_bytes: string;
  }>(
    `SELECT (SELECT coalesce(sum(pg_total_relation_size(i.inhrelid)), 0) FROM pg_inherits i
              WHERE i.inhparent = 'readings'::regclass) AS raw_bytes,
            (SELECT count(*) FROM readings) AS raw,
            pg_total_relation_size('readings_compact') AS compact_bytes,
            (SELECT coalesce(sum(cardinality(offsets_us)), 0) FROM readings_compact) AS compacted,
            pg_total_relation_size('readings_hourly') AS hourly_bytes`,
  );
  const r = rows[0];
  const per = (bytes: string, n: string) => (Number(n) > 0 ? Number(bytes) / Number(n) : null);
  return {
    raw: Number(r.raw),
    rawBytesPerReading: per(r.raw_bytes, r.raw),
    compacted: Number(r.compacted),
    compactedBytesPerReading: per(r.compact_bytes, r.compacted),
    hourlyBytesPerReading: per(r.hourly_bytes, String(Number(r.raw) + Number(r.compacted))),
  };
}

/**
 * Compaction of everything past the horizon, while a writer stores small batches of recent
 * readings: the writer's longest batch during compaction against its p50 before.
 */
export async function measureCompaction(prisma: PrismaService, ingest: IngestRepository, deviceId: number) {
  const config = { COMPACT_AFTER_DAYS: HORIZON_DAYS, RETENTION_MONTHS: 0 } as IngestorConfig;
  const service = new CompactionService(new CompactionRepository(prisma), ingest, config);
  let t = Date.now() - DAY;
  const writeOne = async () => {
    const batch = [14, 55, 56].map((sensorId) => ({ deviceId, sensorId, recordedAt: (t += 1000), value: 1 }));
    const started = performance.now();
    await ingest.storeBatch({ readings: batch, errors: [] });
    return performance.now() - started;
  };
  const before: number[] = [];
  for (let i = 0; i < 50; i++) before.push(await writeOne());
  let running = true;
  const during: number[] = [];
  const writer = (async () => {
    while (running) during.push(await writeOne());
  })();
  const started = performance.now();
  let run: CompactionRun;
  try {
    run = await service.run(new Date());
  } finally {
    running = false;
    await writer;
  }
  const ms = performance.now() - started;
  return {
    ...run,
    ms,
    perSecond: perSecond(run.readings, ms),
    writerP50BeforeMs: percentile(before, 50),
    writerMaxDuringMs: Math.max(...during),
    writerBatchesDuring: during.length,
  };
}

/** The late path: redelivered and new readings of compacted days, against the hot path's rate. */
export async function measureLatePath(sql: pg.Pool, ingest: IngestRepository) {
  const { rows } = await sql.query<{ device_id: number; sensor_id: number; at: number; value: number }>(
    `SELECT c.device_id, c.sensor_id, (extract(epoch FROM c.day_start) * 1000 + o.us / 1000)::float8 AS at, o.value
       FROM (SELECT * FROM readings_compact ORDER BY random() LIMIT 2000) c
      CROSS JOIN LATERAL (SELECT * FROM unnest(c.offsets_us, c.vals) AS u(us, value) LIMIT 5) o`,
  );
  const old = rows.map((r) => ({
    deviceId: r.device_id,
    sensorId: r.sensor_id,
    recordedAt: r.at,
    value: r.value,
  }));
  const late = old.map((r) => ({ ...r, recordedAt: r.recordedAt + 1 }));
  const batches: StoredReading[][] = [];
  for (let i = 0; i < old.length; i += 1000) batches.push(old.slice(i, i + 1000), late.slice(i, i + 1000));
  const rawCount = async () =>
    (await sql.query<{ n: number }>('SELECT count(*)::int AS n FROM readings')).rows[0].n;
  const before = await rawCount();
  const perSecondLate = await writeBatches(ingest, batches);
  return {
    readings: old.length + late.length,
    perSecond: perSecondLate,
    storedRaw: (await rawCount()) - before,
    expectedRaw: late.length,
  };
}

/** A year of one-minute readings of one sensor on a kit of its own, marked for the rollup job. */
export async function seedYear(sql: pg.Pool): Promise<RollupQuery> {
  const { rows } = await sql.query<{ id: number }>(
    `INSERT INTO devices (token, name) VALUES ('year', 'year kit') RETURNING id`,
  );
  const deviceId = rows[0].id;
  const to = new Date(Math.floor(Date.now() / DAY) * DAY);
  const from = new Date(to.getTime() - 365 * DAY);
  await ensureMonths(sql, from, to);
  await sql.query(
    `INSERT INTO readings (device_id, sensor_id, recorded_at, value)
     SELECT $1, 55, at, round((20 + 5 * sin(extract(epoch FROM at) / 43200 * pi()) + random())::numeric, 2)
       FROM generate_series($2::timestamptz, $3::timestamptz - interval '1 minute', interval '1 minute') AS at`,
    [deviceId, from, to],
  );
  await sql.query('INSERT INTO device_sensors (device_id, sensor_id) VALUES ($1, 55)', [deviceId]);
  await sql.query(
    `UPDATE devices SET first_reading_at = $2, last_reading_at = $3::timestamptz - interval '1 minute' WHERE id = $1`,
    [deviceId, from, to],
  );
  await sql.query(
    `INSERT INTO rollup_marks (device_ids, hours)
     SELECT array_agg($1::int), array_agg(h::int)
       FROM generate_series(extract(epoch FROM $2::timestamptz)::bigint / 3600, extract(epoch FROM $3::timestamptz)::bigint / 3600 - 1) AS h`,
    [deviceId, from, to],
  );
  await rollUpEverything(sql);
  await sql.query('ANALYZE');
  return { deviceId, sensorId: 55, from, to, every: { count: 1, unit: 'd' }, fn: 'avg' };
}

/**
 * p50/p95 of the year's `rollup=1d` from the rollup tables (`runs` times) and from the rows (at
 * most 20 times: seconds each), alternating while both run.
 */
export async function timeYear(sql: pg.Pool, query: RollupQuery, runs: number) {
  const tables = rollupStatementFor(query);
  const raw = rollupStatement(query);
  const times: [number[], number[]] = [[], []];
  const once = async (k: 0 | 1) => {
    const statement = k === 0 ? tables : raw;
    const started = performance.now();
    const { rows } = await sql.query<{ at: Date; value: number; samples: number }>(
      statement.text,
      statement.values,
    );
    times[k].push(performance.now() - started);
    return rows;
  };
  const [a, b] = [await once(0), await once(1)];
  if (JSON.stringify(a) !== JSON.stringify(b)) {
    throw new Error('rollup tables and rows answer differently');
  }
  for (let i = 0; i < runs; i++) {
    const order: (0 | 1)[] = i >= 20 ? [0] : i % 2 === 0 ? [0, 1] : [1, 0];
    for (const k of order) await once(k);
  }
  const timing = (xs: number[]) => ({ runs: xs.length, p50: percentile(xs, 50), p95: percentile(xs, 95) });
  return { buckets: a.length, tables: timing(times[0].slice(1)), raw: timing(times[1].slice(1)) };
}

/** The monthly partitions of [from, to), as partition upkeep makes them. */
export async function ensureMonths(sql: pg.Pool, from: Date, to: Date): Promise<void> {
  let month = Date.UTC(from.getUTCFullYear(), from.getUTCMonth(), 1);
  while (month < to.getTime()) {
    await sql.query('SELECT ensure_readings_partition($1::timestamptz)', [new Date(month)]);
    const m = new Date(month);
    month = Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1);
  }
}
