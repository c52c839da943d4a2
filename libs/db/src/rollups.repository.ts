import type pg from 'pg';
import { Injectable } from '@nestjs/common';
import { Prisma } from './generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';
import { BUCKET_ORIGIN, inJobTransaction, ROLLUP_JOB_LOCK } from './storage-lifecycle.js';
import type { RollupFunction, RollupQuery } from './readings-query.repository.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const ORIGIN = Prisma.raw(BUCKET_ORIGIN);

/** Milliseconds per fixed-length rollup unit; months and years are whole days too. */
const UNIT_MS: Record<string, number> = {
  w: 7 * 86_400_000,
  d: 86_400_000,
  h: 3_600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};

/** Hourly rollup rows of one device × sensor: one per hour, or one per partial hour read from rows. */
export interface HourlyRange {
  /** First whole hour of the range. */
  hourFrom: Date;
  /** End (exclusive) of the last whole hour. */
  hourTo: Date;
  /** The whole UTC days within, read from readings_daily; an empty range unless buckets are whole days. */
  dayFrom: Date;
  dayTo: Date;
}

/** Whether every bucket of this size is a whole number of UTC days. */
function wholeDays({ count, unit }: RollupQuery['every']): boolean {
  const ms = UNIT_MS[unit];
  return unit === 'y' || unit === 'M' || (ms !== undefined && (count * ms) % DAY_MS === 0);
}

/** Whether every bucket of this size is a whole number of UTC hours. */
export function wholeHours({ count, unit }: RollupQuery['every']): boolean {
  const ms = UNIT_MS[unit];
  return unit === 'y' || unit === 'M' || (ms !== undefined && (count * ms) % HOUR_MS === 0);
}

/**
 * The whole hours a rollup can be answered from, or null when it must read the rows: its buckets
 * must be whole hours (y, M, or a multiple of an hour) and the range must hold at least one hour.
 */
export function hourlyRange(query: RollupQuery): HourlyRange | null {
  if (!wholeHours(query.every)) return null;
  const hourFrom = Math.ceil(query.from.getTime() / HOUR_MS) * HOUR_MS;
  const hourTo = Math.floor(query.to.getTime() / HOUR_MS) * HOUR_MS;
  if (hourFrom >= hourTo) return null;
  let dayFrom = Math.ceil(hourFrom / DAY_MS) * DAY_MS;
  let dayTo = Math.floor(hourTo / DAY_MS) * DAY_MS;
  if (!wholeDays(query.every) || dayFrom >= dayTo) dayFrom = dayTo = hourFrom;
  return {
    hourFrom: new Date(hourFrom),
    hourTo: new Date(hourTo),
    dayFrom: new Date(dayFrom),
    dayTo: new Date(dayTo),
  };
}

/** The aggregate of a bucket from hourly parts (`parts` columns); equals `aggregateOf` on the rows. */
function aggregateOfParts(fn: RollupFunction): Prisma.Sql {
  switch (fn) {
    case 'avg':
      return Prisma.sql`(sum(total) / sum(samples))::float8`;
    case 'min':
      return Prisma.sql`min(min_value)`;
    case 'max':
      return Prisma.sql`max(max_value)`;
    case 'sum':
      return Prisma.sql`sum(total)::float8`;
    case 'count':
      return Prisma.sql`sum(samples)::float8`;
    case 'first':
      return Prisma.sql`(array_agg(first_value ORDER BY first_at))[1]`;
    case 'last':
      return Prisma.sql`(array_agg(last_value ORDER BY last_at DESC))[1]`;
  }
}

/** The hourly aggregate columns of readings_hourly, computed from rows `r` (recorded_at, value). */
const HOURLY_COLUMNS = Prisma.sql`count(*)::int AS samples, sum(r.value::numeric) AS total,
       min(r.value) AS min_value, max(r.value) AS max_value,
       min(r.recorded_at) AS first_at, (array_agg(r.value ORDER BY r.recorded_at))[1] AS first_value,
       max(r.recorded_at) AS last_at, (array_agg(r.value ORDER BY r.recorded_at DESC))[1] AS last_value`;

/**
 * A rollup answered from readings_daily and readings_hourly. Hours with a pending recomputation
 * (rollup_marks not yet folded, rollup_pending not yet recomputed) and the partial hours at either
 * end of the range are computed from the rows instead, in the same snapshot: the answer equals the
 * rows' at any moment. Pending hours are read in one pass over the span they cover (usually the
 * last hour or two), not one probe per hour.
 * `bucketOf` places an hour (column `hour`) in its bucket exactly as the row path places a reading.
 */
export function hourlyRollupStatement(
  query: RollupQuery,
  range: HourlyRange,
  bucketOf: (column: Prisma.Sql) => Prisma.Sql,
): Prisma.Sql {
  const { deviceId: device, sensorId: sensor, from, to } = query;
  const { hourFrom, hourTo, dayFrom, dayTo } = range;
  const firstHour = hourFrom.getTime() / HOUR_MS;
  const endHour = hourTo.getTime() / HOUR_MS;
  return Prisma.sql`
    WITH dirty AS (
      SELECT p.hour FROM rollup_pending p
       WHERE p.device_id = ${device} AND p.hour >= ${hourFrom} AND p.hour < ${hourTo}
      UNION
      SELECT to_timestamp(u.hour::float8 * 3600) FROM rollup_marks m
       CROSS JOIN LATERAL unnest(m.device_ids, m.hours) AS u(device_id, hour)
       WHERE ${device}::int = ANY(m.device_ids) AND u.device_id = ${device}
         AND u.hour >= ${firstHour}::int AND u.hour < ${endHour}::int
    ), dirty_days AS (
      SELECT DISTINCT date_bin(interval '1 day', hour, ${ORIGIN}) AS day FROM dirty
    ), parts AS (
      SELECT day AS hour, samples, total, min_value, max_value, first_at, first_value, last_at, last_value
        FROM readings_daily
       WHERE device_id = ${device} AND sensor_id = ${sensor} AND day >= ${dayFrom} AND day < ${dayTo}
         AND day NOT IN (SELECT day FROM dirty_days)
      UNION ALL
      -- Hours outside the whole days, and the hours of whole days with a pending hour: two index
      -- ranges and a probe per dirty day, never the year's hours that the days already cover.
      SELECT hour, samples, total, min_value, max_value, first_at, first_value, last_at, last_value
        FROM readings_hourly
       WHERE device_id = ${device} AND sensor_id = ${sensor}
         AND ((hour >= ${hourFrom} AND hour < least(${dayFrom}::timestamptz, ${hourTo}::timestamptz))
              OR (hour >= greatest(${dayTo}::timestamptz, ${hourFrom}::timestamptz) AND hour < ${hourTo}))
         AND hour NOT IN (SELECT hour FROM dirty)
      UNION ALL
      SELECT h.hour, h.samples, h.total, h.min_value, h.max_value, h.first_at, h.first_value, h.last_at, h.last_value
        FROM dirty_days dd
        JOIN readings_hourly h ON h.device_id = ${device} AND h.sensor_id = ${sensor}
                              AND h.hour >= dd.day AND h.hour < dd.day + interval '1 day'
       WHERE dd.day >= ${dayFrom} AND dd.day < ${dayTo}
         AND h.hour >= ${hourFrom} AND h.hour < ${hourTo}
         AND h.hour NOT IN (SELECT hour FROM dirty)
      UNION ALL
      SELECT date_bin(interval '1 hour', r.recorded_at, ${ORIGIN}) AS hour, ${HOURLY_COLUMNS}
        FROM (SELECT * FROM readings_in(${device}, ${sensor}, ${from}, ${hourFrom})
              UNION ALL
              SELECT * FROM readings_in(${device}, ${sensor}, ${hourTo}, ${to})
              UNION ALL
              SELECT h.* FROM (SELECT min(hour) AS lo, max(hour) AS hi FROM dirty) b
               CROSS JOIN LATERAL readings_in(${device}, ${sensor}, b.lo, b.hi + interval '1 hour') h
               WHERE b.lo IS NOT NULL
                 -- IS TRUE keeps this a hashed lookup per row: as a semi-join the planner, guessing
                 -- one pending hour, loops over the rows once per pending hour.
                 AND (date_bin(interval '1 hour', h.recorded_at, ${ORIGIN}) IN (SELECT hour FROM dirty)) IS TRUE) r
       GROUP BY 1
    )
    SELECT bucket AS at, ${aggregateOfParts(query.fn)} AS value, sum(samples)::int AS samples
      FROM (SELECT ${bucketOf(Prisma.sql`hour`)} AS bucket, * FROM parts) p
     GROUP BY bucket
     ORDER BY bucket DESC
     ${query.limit === undefined ? Prisma.empty : Prisma.sql`LIMIT ${query.limit}`}`;
}

export interface RollupRefresh {
  /** Batch marks folded into rollup_pending. */
  marks: number;
  /** Device × hour buckets recomputed. */
  buckets: number;
}

/** Upkeep of readings_hourly (docs/storage.md). */
@Injectable()
export class RollupsRepository {
  constructor(private readonly db: PrismaService) {}

  /**
   * One step of the rollup job, in one transaction: folds up to `maxMarks` batch marks into
   * rollup_pending, then recomputes up to `maxBuckets` pending device × hour buckets that closed
   * before `closedBefore`, from the rows. Returns null when another ingestor runs the job.
   */
  refresh(closedBefore: Date, maxMarks = 500, maxBuckets = 2000): Promise<RollupRefresh | null> {
    return refreshRollups(this.db.pool, closedBefore, maxMarks, maxBuckets);
  }
}

/** RollupsRepository.refresh on a plain pg pool (the benchmark seeds series outside Nest). */
export function refreshRollups(
  pool: pg.Pool,
  closedBefore: Date,
  maxMarks = 500,
  maxBuckets = 2000,
): Promise<RollupRefresh | null> {
  return inJobTransaction(pool, async (client) => {
    const { rows: lock } = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1) AS ok', [
      ROLLUP_JOB_LOCK,
    ]);
    if (!lock[0].ok) return null;
    const { rows: folded } = await client.query<{ marks: number }>(
      `WITH taken AS (
           DELETE FROM rollup_marks WHERE id IN (SELECT id FROM rollup_marks ORDER BY id LIMIT $1)
           RETURNING device_ids, hours
         ), pending AS (
           INSERT INTO rollup_pending (device_id, hour)
           SELECT DISTINCT u.device_id, to_timestamp(u.hour::float8 * 3600)
             FROM taken CROSS JOIN LATERAL unnest(taken.device_ids, taken.hours) AS u(device_id, hour)
           ON CONFLICT DO NOTHING
         )
         SELECT count(*)::int AS marks FROM taken`,
      [maxMarks],
    );
    const recompute = Prisma.sql`
        WITH due AS (
          DELETE FROM rollup_pending
           WHERE (device_id, hour) IN (SELECT device_id, hour FROM rollup_pending
                                        WHERE hour + interval '1 hour' <= ${closedBefore}
                                        ORDER BY hour LIMIT ${maxBuckets})
          RETURNING device_id, hour
        ), computed AS (
          SELECT ds.device_id, ds.sensor_id, d.hour, a.*
            FROM due d
            JOIN device_sensors ds ON ds.device_id = d.device_id
           CROSS JOIN LATERAL (
             SELECT ${HOURLY_COLUMNS}
               FROM readings_in(ds.device_id, ds.sensor_id, d.hour, d.hour + interval '1 hour') r) a
           WHERE a.samples > 0
        ), stored AS (
          INSERT INTO readings_hourly AS h
          SELECT * FROM computed
          ON CONFLICT (device_id, sensor_id, hour) DO UPDATE
             SET (samples, total, min_value, max_value, first_at, first_value, last_at, last_value) =
                 (EXCLUDED.samples, EXCLUDED.total, EXCLUDED.min_value, EXCLUDED.max_value,
                  EXCLUDED.first_at, EXCLUDED.first_value, EXCLUDED.last_at, EXCLUDED.last_value)
        )
        SELECT (SELECT count(*) FROM due)::int AS buckets,
               coalesce(array_agg(d.device_id), '{}') AS devices, coalesce(array_agg(d.day), '{}') AS days
          FROM (SELECT DISTINCT device_id, date_bin(interval '1 day', hour, ${ORIGIN}) AS day FROM due) d`;
    const { rows } = await client.query<{ buckets: number; devices: number[]; days: Date[] }>(
      recompute.text,
      recompute.values,
    );
    // The days of the recomputed hours, from their hours (a later statement: it sees them).
    await client.query(
      `INSERT INTO readings_daily
       SELECT h.device_id, h.sensor_id, t.day, sum(h.samples)::int, sum(h.total), min(h.min_value),
              max(h.max_value), min(h.first_at), (array_agg(h.first_value ORDER BY h.first_at))[1],
              max(h.last_at), (array_agg(h.last_value ORDER BY h.last_at DESC))[1]
         FROM unnest($1::int[], $2::timestamptz[]) AS t(device_id, day)
         JOIN device_sensors ds ON ds.device_id = t.device_id
         JOIN readings_hourly h ON h.device_id = ds.device_id AND h.sensor_id = ds.sensor_id
                               AND h.hour >= t.day AND h.hour < t.day + interval '1 day'
        GROUP BY h.device_id, h.sensor_id, t.day
       ON CONFLICT (device_id, sensor_id, day) DO UPDATE
          SET (samples, total, min_value, max_value, first_at, first_value, last_at, last_value) =
              (EXCLUDED.samples, EXCLUDED.total, EXCLUDED.min_value, EXCLUDED.max_value,
               EXCLUDED.first_at, EXCLUDED.first_value, EXCLUDED.last_at, EXCLUDED.last_value)`,
      [rows[0].devices, rows[0].days],
    );
    return { marks: folded[0].marks, buckets: rows[0].buckets };
  });
}
