import { beforeAll, describe, expect, it } from 'vitest';
import type { IngestorConfig } from '#config';
import {
  CompactionRepository,
  ReadingsExportRepository,
  IngestRepository,
  PartitionsRepository,
  PrismaService,
  type RollupQuery,
  RollupsRepository,
  rollupStatement,
  rollupStatementFor,
  type StoredReading,
} from '#db';
import { CompactionService } from '../../apps/ingestor/src/storage/compaction.service.js';
import { waitFor } from '../../tools/harness/poll.js';
import { useContext } from '../helpers/context.js';
import { apiLatestValues } from '../helpers/repositories.js';

const DAY = 86_400_000;
const HORIZON_DAYS = 60;
const NOW = Date.now();
const SENSORS = [14, 55, 56];

const ctx = useContext();
let prisma: PrismaService;
let ingest: IngestRepository;
let compaction: CompactionService;
let rollups: RollupsRepository;

/** Every `step` ms (off by up to 78 ms, so instants are not whole seconds) over [fromDaysAgo, toDaysAgo). */
function series(deviceId: number, fromDaysAgo: number, toDaysAgo: number, step = 300_000): StoredReading[] {
  const start = Math.floor((NOW - fromDaysAgo * DAY) / 1000) * 1000;
  const out: StoredReading[] = [];
  for (let t = start, i = 0; t < NOW - toDaysAgo * DAY; t += step, i++) {
    for (const sensorId of SENSORS) {
      out.push({
        deviceId,
        sensorId,
        recordedAt: t + (i % 7) * 13,
        value: Math.sin(i / 40) * 30 + sensorId / 7,
      });
    }
  }
  return out;
}

async function store(readings: StoredReading[]) {
  for (let i = 0; i < readings.length; i += 3000) {
    await ingest.storeBatch({ readings: readings.slice(i, i + 3000), errors: [] });
  }
}

/** Every reading of the devices, raw or compacted, as `device sensor µs value` lines. */
async function everyReading(deviceIds: number[]): Promise<string[]> {
  const { rows } = await ctx.db.sql.query<{ line: string }>(
    `SELECT ds.device_id || ' ' || ds.sensor_id || ' ' || (extract(epoch FROM r.recorded_at) * 1000000)::bigint
            || ' ' || r.value::text AS line
       FROM device_sensors ds
      CROSS JOIN LATERAL readings_in(ds.device_id, ds.sensor_id, '-infinity', 'infinity') r
      WHERE ds.device_id = ANY($1::int[])
      ORDER BY 1`,
    [deviceIds],
  );
  return rows.map((r) => r.line);
}

async function rollupAnswers(deviceIds: number[]) {
  const answers: unknown[] = [];
  for (const deviceId of deviceIds) {
    for (const [count, unit, fn] of [
      [1, 'd', 'avg'],
      [1, 'h', 'last'],
      [10, 'm', 'sum'],
      [1, 'w', 'first'],
      [1, 'M', 'count'],
    ] as const) {
      const query: RollupQuery = {
        deviceId,
        sensorId: 56,
        from: new Date(NOW - 80 * DAY + 1234),
        to: new Date(NOW),
        every: { count, unit },
        fn,
      };
      for (const statement of [rollupStatementFor(query), rollupStatement(query)]) {
        answers.push((await ctx.db.sql.query(statement.text, statement.values)).rows);
      }
    }
  }
  return answers;
}

async function counts() {
  const { rows } = await ctx.db.sql.query(
    `SELECT (SELECT count(*) FROM readings WHERE recorded_at < $1)::int AS raw_old,
            (SELECT count(*) FROM readings_compact)::int AS compact_rows,
            (SELECT coalesce(sum(cardinality(offsets_us)), 0) FROM readings_compact)::int AS compacted,
            (SELECT count(*) FROM readings_compact c
              WHERE EXISTS (SELECT 1 FROM generate_subscripts(c.offsets_us, 1) i
                             WHERE i > 1 AND c.offsets_us[i] <= c.offsets_us[i - 1]))::int AS unsorted`,
    [new Date(Math.floor((NOW - HORIZON_DAYS * DAY) / DAY) * DAY)],
  );
  return rows[0] as { raw_old: number; compact_rows: number; compacted: number; unsorted: number };
}

async function refreshRollups() {
  for (;;) {
    const step = await rollups.refresh(new Date('2100-01-01'));
    if (step && step.marks === 0 && step.buckets === 0) return;
  }
}

beforeAll(async () => {
  prisma = new PrismaService({ url: ctx.db.url, poolSize: 4 });
  ctx.defer(() => prisma.onModuleDestroy());
  ingest = new IngestRepository(prisma);
  rollups = new RollupsRepository(prisma);
  const config = { COMPACT_AFTER_DAYS: HORIZON_DAYS, RETENTION_MONTHS: 0 } as IngestorConfig;
  compaction = new CompactionService(new CompactionRepository(prisma), ingest, config);
  const partitions = new PartitionsRepository(prisma);
  for (let m = 4; m >= 0; m--) await partitions.ensureMonth(new Date(NOW - m * 30 * DAY));
});

describe('compaction', () => {
  let devices: number[];
  let before: string[];
  let rollupsBefore: unknown[];
  let latestBefore: unknown;

  it('moves closed days into compact rows; readings, rollups and latest values read the same', async () => {
    devices = [
      (await ctx.newDevice('compact-a')).id,
      (await ctx.newDevice('compact-b')).id,
      (await ctx.newDevice('compact-old')).id,
    ];
    // a and b straddle the horizon; old stopped reporting 70 days ago (its latest value is compacted).
    await store([
      ...series(devices[0], 75, 50),
      ...series(devices[1], 64, 56, 60_000),
      ...series(devices[2], 78, 70),
    ]);
    await refreshRollups();
    before = await everyReading(devices);
    rollupsBefore = await rollupAnswers(devices);
    latestBefore = await apiLatestValues(ctx.db.url, devices);
    const exportRepository = new ReadingsExportRepository(prisma);
    const exported = () =>
      exportRepository.readWindow(devices[0], SENSORS, new Date(NOW - 62 * DAY), new Date(NOW - 58 * DAY));
    const exportBefore = await exported();
    expect(exportBefore.length).toBeGreaterThan(1000);
    expect((await counts()).raw_old).toBeGreaterThan(10_000);

    const run = await compaction.run(new Date(NOW));
    expect(run.readings).toBeGreaterThan(10_000);
    const after = await counts();
    expect(after).toMatchObject({ raw_old: 0, unsorted: 0 });
    expect(after.compacted).toBe(run.readings);
    expect(await everyReading(devices)).toEqual(before);
    expect(await rollupAnswers(devices)).toEqual(rollupsBefore);
    expect(await apiLatestValues(ctx.db.url, devices)).toEqual(latestBefore);
    expect(await exported()).toEqual(exportBefore); // the CSV export's window, across the boundary
    const { rows } = await ctx.db.sql.query('SELECT count(*)::int AS n FROM readings WHERE device_id = $1', [
      devices[2],
    ]);
    expect(rows[0].n).toBe(0);
  });

  it('stores a late or redelivered reading of a compacted day once, and merges it on the next run', async () => {
    const old = series(devices[0], 75, 61);
    const redelivered = old.filter((_, i) => i % 37 === 0);
    const late = redelivered.map((r) => ({ ...r, recordedAt: r.recordedAt + 1000, value: r.value + 0.5 }));
    const recent = series(devices[0], 50, 49.9);
    await store([...redelivered, ...late, ...recent]);
    await store([...redelivered, ...late]); // and again
    const { rows } = await ctx.db.sql.query(
      'SELECT count(*)::int AS n FROM readings WHERE device_id = $1 AND recorded_at < $2',
      [devices[0], new Date(NOW - 61 * DAY)],
    );
    expect(rows[0].n).toBe(late.length); // only the new ones, none of the redelivered
    const line = (r: StoredReading) => `${r.deviceId} ${r.sensorId} ${r.recordedAt * 1000} ${r.value}`;
    const expected = [...before, ...late.map(line), ...recent.map(line)].sort();
    expect(await everyReading(devices)).toEqual(expected);

    const run = await compaction.run(new Date(NOW));
    expect(run.readings).toBe(late.length);
    expect(await counts()).toMatchObject({ raw_old: 0, unsorted: 0 });
    expect(await everyReading(devices)).toEqual(expected);
    await store([...late, ...redelivered]);
    expect(await everyReading(devices)).toEqual(expected);
    await refreshRollups();
    const { rows: hourly } = await ctx.db.sql.query(
      'SELECT sum(samples)::int AS n FROM readings_hourly WHERE device_id = ANY($1)',
      [devices],
    );
    expect(hourly[0].n).toBe(expected.length);
  });

  it('is killed in the middle of a chunk and resumed: no reading lost or doubled', async () => {
    const id = (await ctx.newDevice('compact-kill')).id;
    await store(series(id, 74, 62, 120_000));
    const all = await everyReading([id]);
    // Hold one row of a day in the middle: the chunk holding it blocks inside its DELETE.
    const holder = await ctx.db.sql.connect();
    try {
      await holder.query('BEGIN');
      await holder.query(
        `SELECT 1 FROM readings WHERE device_id = $1 AND recorded_at >= $2 ORDER BY recorded_at LIMIT 1 FOR UPDATE`,
        [id, new Date(NOW - 68 * DAY)],
      );
      const running = compaction.run(new Date(NOW));
      running.catch(() => undefined);
      const pid = await waitFor(
        async () =>
          (
            await ctx.db.sql.query<{ pid: number }>(
              `SELECT pid FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%readings_compact%'`,
            )
          ).rows[0]?.pid,
        (p) => p !== undefined,
        { what: 'the compaction chunk to block', timeoutMs: 60_000 },
      );
      const partial = await counts();
      expect(partial.compacted).toBeGreaterThan(0); // earlier days are done
      await ctx.db.sql.query('SELECT pg_terminate_backend($1)', [pid]);
      await expect(running).rejects.toThrow();
    } finally {
      await holder.query('ROLLBACK');
      holder.release();
    }
    const crashed = await counts();
    expect(crashed.raw_old).toBeGreaterThan(0);
    expect(await everyReading([id])).toEqual(all);

    const resumed = await compaction.run(new Date(NOW));
    expect(resumed.readings).toBe(crashed.raw_old);
    expect(await counts()).toMatchObject({ raw_old: 0, unsorted: 0 });
    expect(await everyReading([id])).toEqual(all);
  });

  it('retention drops whole months of raw and compacted readings and keeps the hourly rollups', async () => {
    await refreshRollups();
    const months = 2;
    const now = new Date(NOW);
    const before = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1));
    const kept = async () =>
      (
        await ctx.db.sql.query(
          `SELECT (SELECT count(*) FROM readings WHERE recorded_at < $1)::int AS raw,
                  (SELECT count(*) FROM readings_compact WHERE day_start < $1)::int AS compact,
                  (SELECT count(*) FROM readings_hourly WHERE hour < $1)::int AS hourly,
                  (SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname LIKE 'readings_2%')::int AS partitions`,
          [before],
        )
      ).rows[0] as { raw: number; compact: number; hourly: number; partitions: number };
    const was = await kept();
    expect(was.compact).toBeGreaterThan(0);
    expect(was.hourly).toBeGreaterThan(0);
    const off = new CompactionService(new CompactionRepository(prisma), ingest, {
      COMPACT_AFTER_DAYS: HORIZON_DAYS,
      RETENTION_MONTHS: 0,
    } as IngestorConfig);
    expect(await off.applyRetention(now)).toEqual([]);
    expect(await kept()).toEqual(was);
    const on = new CompactionService(new CompactionRepository(prisma), ingest, {
      COMPACT_AFTER_DAYS: HORIZON_DAYS,
      RETENTION_MONTHS: months,
    } as IngestorConfig);
    const dropped = await on.applyRetention(now);
    expect(dropped.length).toBeGreaterThan(0);
    const is = await kept();
    expect(is).toEqual({
      raw: 0,
      compact: 0,
      hourly: was.hourly,
      partitions: was.partitions - dropped.length,
    });
  });
});
