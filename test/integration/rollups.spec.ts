import { beforeAll, describe, expect, it } from 'vitest';
import {
  IngestRepository,
  PrismaService,
  type RollupFunction,
  type RollupQuery,
  RollupsRepository,
  type RollupUnit,
  rollupStatement,
  rollupStatementFor,
  type StoredReading,
} from '#db';
import { hourlyRange } from '#db';
import type { IngestorConfig } from '#config';
import { CompactionService } from '../../apps/ingestor/src/storage/compaction.service.js';
import { StorageJobsService } from '../../apps/ingestor/src/storage/storage-jobs.service.js';
import { CompactionRepository } from '#db';
import { waitFor } from '../../tools/harness/poll.js';
import { useContext } from '../helpers/context.js';

/** A seeded pseudo-random generator, so a failure can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const SEED = Number(process.env.ROLLUP_SEED ?? 19);
const rand = random(SEED);
const START = Date.parse('2023-10-30T00:00:00Z');
const SPAN = 120 * 86_400_000;
const SENSORS = [55, 56];
const FAR_FUTURE = new Date('2100-01-01T00:00:00Z');

const ctx = useContext();
let prisma: PrismaService;
let ingest: IngestRepository;
let rollups: RollupsRepository;
let devices: number[];

/** Readings at irregular instants (sub-second too), unrounded values; about one every 20 minutes. */
function series(deviceId: number, count: number): StoredReading[] {
  return Array.from({ length: count }, () => ({
    deviceId,
    sensorId: SENSORS[Math.floor(rand() * SENSORS.length)],
    recordedAt: START + Math.floor(rand() * SPAN),
    value: (rand() - 0.3) * 1000 * rand(),
  }));
}

async function store(readings: StoredReading[]) {
  for (let i = 0; i < readings.length; i += 2000) {
    await ingest.storeBatch({ readings: readings.slice(i, i + 2000), errors: [] });
  }
}

async function refreshAll() {
  for (;;) {
    const step = await rollups.refresh(FAR_FUTURE, 7, 500);
    if (step && step.marks === 0 && step.buckets === 0) return;
  }
}

async function run(statement: { text: string; values: unknown[] }) {
  const { rows } = await ctx.db.sql.query<{ at: Date; value: number; samples: number }>(
    statement.text,
    statement.values,
  );
  return rows.map((r) => [r.at.toISOString(), r.value, r.samples]);
}

const ROLLUPS: [number, RollupUnit][] = [
  [1, 'h'],
  [3, 'h'],
  [7, 'h'],
  [1, 'd'],
  [2, 'd'],
  [1, 'w'],
  [3, 'w'],
  [1, 'M'],
  [2, 'M'],
  [1, 'y'],
  [120, 'm'],
  [3600, 's'],
];
const FUNCTIONS: RollupFunction[] = ['avg', 'min', 'max', 'sum', 'count', 'first', 'last'];

function randomQuery(): RollupQuery {
  const a = START - 86_400_000 + Math.floor(rand() * (SPAN + 2 * 86_400_000));
  const b = START - 86_400_000 + Math.floor(rand() * (SPAN + 2 * 86_400_000));
  const [count, unit] = ROLLUPS[Math.floor(rand() * ROLLUPS.length)];
  return {
    deviceId: devices[Math.floor(rand() * devices.length)],
    sensorId: SENSORS[Math.floor(rand() * SENSORS.length)],
    from: new Date(Math.min(a, b)),
    to: new Date(Math.max(a, b) + 3_600_000),
    every: { count, unit },
    fn: FUNCTIONS[Math.floor(rand() * FUNCTIONS.length)],
  };
}

/** Rollup-table answers against the rows' for `n` random queries; all must be identical. */
async function compareRandom(n: number) {
  let nonEmpty = 0;
  for (let i = 0; i < n; i++) {
    const query = randomQuery();
    expect(hourlyRange(query), JSON.stringify(query)).not.toBeNull();
    const fromTables = await run(rollupStatementFor(query));
    const fromRows = await run(rollupStatement(query));
    expect(fromTables, `seed ${SEED}, query ${i}: ${JSON.stringify(query)}`).toEqual(fromRows);
    if (fromRows.length > 0) nonEmpty++;
  }
  expect(nonEmpty).toBeGreaterThan(n / 2);
}

beforeAll(async () => {
  prisma = new PrismaService({ url: ctx.db.url, poolSize: 3 });
  ctx.defer(() => prisma.onModuleDestroy());
  ingest = new IngestRepository(prisma);
  rollups = new RollupsRepository(prisma);
  devices = [(await ctx.newDevice('rollup-a')).id, (await ctx.newDevice('rollup-b')).id];
  await store(devices.flatMap((id) => series(id, 8000)));
});

describe('hourly rollups', () => {
  it('answer like the rows while every hour is still pending (marks not yet folded)', async () => {
    const { rows } = await ctx.db.sql.query('SELECT count(*)::int AS n FROM rollup_marks');
    expect(rows[0].n).toBeGreaterThan(0);
    await compareRandom(40);
  });

  it('hold exactly the rows after the job, with late and redelivered readings', async () => {
    await refreshAll();
    const counts = await ctx.db.sql.query(
      `SELECT (SELECT count(*) FROM readings_hourly)::int AS hourly, (SELECT count(*) FROM rollup_pending)::int AS pending,
              (SELECT count(*) FROM rollup_marks)::int AS marks`,
    );
    expect(counts.rows[0]).toMatchObject({ pending: 0, marks: 0 });
    expect(counts.rows[0].hourly).toBeGreaterThan(1000);
    await compareRandom(60);

    // Late readings into hours already rolled up, and redeliveries of stored ones.
    const { rows: stored } = await ctx.db.sql.query<{
      device_id: number;
      sensor_id: number;
      at: number;
      value: number;
    }>(
      `SELECT device_id, sensor_id, (extract(epoch FROM recorded_at) * 1000)::float8 AS at, value
         FROM readings ORDER BY random() LIMIT 500`,
    );
    const redelivered = stored.map((r) => ({
      deviceId: r.device_id,
      sensorId: r.sensor_id,
      recordedAt: r.at,
      value: r.value,
    }));
    const late = devices.flatMap((id) => series(id, 300));
    await store([...redelivered, ...late]);
    await compareRandom(30); // the touched hours are pending: read from the rows
    await refreshAll();
    await compareRandom(60);

    // Every hourly row equals its hour's rows, column by column.
    const { rows: drift } = await ctx.db.sql.query(
      `SELECT h.device_id, h.sensor_id, h.hour FROM readings_hourly h
         JOIN LATERAL (
           SELECT count(*)::int AS samples, sum(value::numeric) AS total, min(value) AS min_value,
                  max(value) AS max_value, (array_agg(value ORDER BY recorded_at))[1] AS first_value,
                  (array_agg(value ORDER BY recorded_at DESC))[1] AS last_value
             FROM readings_in(h.device_id, h.sensor_id, h.hour, h.hour + interval '1 hour')) r ON true
        WHERE (h.samples, h.total, h.min_value, h.max_value, h.first_value, h.last_value)
              IS DISTINCT FROM (r.samples, r.total, r.min_value, r.max_value, r.first_value, r.last_value)`,
    );
    expect(drift).toEqual([]);
    const { rows: total } = await ctx.db.sql.query(
      `SELECT (SELECT sum(samples) FROM readings_hourly)::int AS hourly, (SELECT count(*) FROM readings)::int AS raw`,
    );
    expect(total[0].hourly).toBe(total[0].raw);
  });

  it('reads rollups finer than an hour, or not whole hours, from the rows', () => {
    const base = { deviceId: 1, sensorId: 55, fn: 'avg' as const };
    const from = new Date('2024-01-01T00:00:00Z');
    const to = new Date('2024-02-01T00:00:00Z');
    expect(hourlyRange({ ...base, from, to, every: { count: 30, unit: 'm' } })).toBeNull();
    expect(hourlyRange({ ...base, from, to, every: { count: 90, unit: 'm' } })).toBeNull();
    expect(hourlyRange({ ...base, from, to, every: { count: 1, unit: 'd' } })).not.toBeNull();
    const short = { from: new Date('2024-01-01T10:10:00Z'), to: new Date('2024-01-01T10:50:00Z') };
    expect(hourlyRange({ ...base, ...short, every: { count: 1, unit: 'h' } })).toBeNull();
  });

  it('are kept by the ingestor job: closed hours recomputed, the current one left pending', async () => {
    const config = {
      JOBS_ENABLED: true,
      ROLLUP_REFRESH_EVERY_MS: 200,
      COMPACT_AFTER_DAYS: 0,
      RETENTION_MONTHS: 0,
    } as IngestorConfig;
    const jobs = new StorageJobsService(
      rollups,
      new CompactionService(new CompactionRepository(prisma), ingest, config),
      config,
    );
    const deviceId = (await ctx.newDevice('rollup-job')).id;
    const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
    const readings = [hour - 3 * 3_600_000 + 5000, hour - 2 * 3_600_000 + 7000, Date.now()].map((at, i) => ({
      deviceId,
      sensorId: 55,
      recordedAt: at,
      value: i + 0.25,
    }));
    await store(readings);
    jobs.onApplicationBootstrap();
    try {
      const rows = await waitFor(
        async () =>
          (
            await ctx.db.sql.query<{ hour: Date; samples: number; total: string }>(
              'SELECT hour, samples, total::text FROM readings_hourly WHERE device_id = $1 ORDER BY hour',
              [deviceId],
            )
          ).rows,
        (r) => r.length === 2,
        { what: 'the two closed hours to be rolled up', timeoutMs: 30_000 },
      );
      expect(rows.map((r) => [r.hour.getTime(), r.samples, r.total])).toEqual([
        [hour - 3 * 3_600_000, 1, '0.25'],
        [hour - 2 * 3_600_000, 1, '1.25'],
      ]);
      const { rows: pending } = await ctx.db.sql.query(
        'SELECT hour FROM rollup_pending WHERE device_id = $1',
        [deviceId],
      );
      expect(pending.map((p: { hour: Date }) => p.hour.getTime())).toEqual([hour]);
    } finally {
      await jobs.onModuleDestroy();
    }
  });
});
