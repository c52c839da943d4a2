import type pg from 'pg';
import { NOT_A_LIVE_WRITER } from './live-outbox.statements.js';

/**
 * What the ingest statement and the storage jobs share about rollups and compaction
 * (docs/storage.md).
 */

/**
 * Advisory lock key: a compaction chunk takes it exclusively, a batch holding readings near or
 * past the compaction horizon takes it shared. Neither can then see the other half done.
 */
export const LATE_READINGS_LOCK = 19_000_001;

/** Advisory lock key that keeps the rollup job to one runner across ingestors. */
export const ROLLUP_JOB_LOCK = 19_000_002;

/** Bucket edges of every rollup: UTC, weeks on Mondays (2000-01-03 was one). */
export const BUCKET_ORIGIN = "TIMESTAMPTZ '2000-01-03 00:00:00+00'";

/**
 * True when the reading `r` (epoch seconds `r.at`) is already in readings_compact. The offset is
 * computed in numeric, so it matches the stored microseconds exactly.
 */
export const COMPACTED_ALREADY = `EXISTS (
        SELECT 1 FROM readings_compact c
         WHERE c.device_id = r.device_id AND c.sensor_id = r.sensor_id
           AND c.day_start = date_bin(interval '1 day', to_timestamp(r.at), ${BUCKET_ORIGIN})
           AND (extract(epoch FROM to_timestamp(r.at) - c.day_start) * 1000000)::bigint = ANY(c.offsets_us))`;

/**
 * The batch statement's part of it: its readings past `$13` (epoch seconds) are checked against
 * readings_compact, the others never evaluate the check.
 */
export const NOT_COMPACTED = `CASE WHEN r.at >= $13::float8 THEN true ELSE NOT ${COMPACTED_ALREADY} END`;

/** The batch statement's rollup mark: one row naming its device × hours ($11, $12), if it stored any. */
export const MARKS_CTE = `marks AS (
    INSERT INTO rollup_marks (device_ids, hours)
    SELECT string_to_array($11::text, ',')::int[], string_to_array($12::text, ',')::int[]
     WHERE (SELECT n FROM inserted) > 0
  )`;

/** $11–$13 of the batch statement: its device × hours, and the instant before which readings are late. */
export function marksColumns(
  readings: { deviceId: number; recordedAt: number }[],
  lateBefore: number,
): [string, string, string] {
  const { deviceIds, hours } = touchedHours(readings);
  return [deviceIds, hours, String(lateBefore / 1000)];
}

/**
 * Readings older than the compaction horizon less a day (`lateAfterMs` before now; never while
 * compaction is off) may belong to a compacted day: the batch checks them against
 * readings_compact, and waits for a running compaction chunk (holding the lock shared, first in
 * its transaction) so that none is stored beside the compacted row that already holds it.
 */
export function compactionGuard(
  sorted: { recordedAt: number }[],
  lateAfterMs: number | null,
): { lateBefore: number; lock: { text: string; values: unknown[] }[] } {
  const lateBefore = lateAfterMs === null ? -Infinity : Date.now() - lateAfterMs;
  const late = sorted.some((r) => r.recordedAt < lateBefore);
  return {
    lateBefore,
    lock: late ? [{ text: 'SELECT pg_advisory_xact_lock_shared($1)', values: [LATE_READINGS_LOCK] }] : [],
  };
}

/**
 * The distinct device × hour buckets of a batch (hours since 1970 UTC), as two comma-joined
 * columns for the batch statement.
 */
export function touchedHours(readings: { deviceId: number; recordedAt: number }[]): {
  deviceIds: string;
  hours: string;
} {
  const seen = new Map<number, Set<number>>();
  for (const r of readings) {
    const hour = Math.floor(r.recordedAt / 3_600_000);
    let hours = seen.get(r.deviceId);
    if (!hours) seen.set(r.deviceId, (hours = new Set()));
    hours.add(hour);
  }
  const deviceIds: number[] = [];
  const hours: number[] = [];
  for (const [deviceId, set] of seen) {
    for (const hour of set) {
      deviceIds.push(deviceId);
      hours.push(hour);
    }
  }
  return { deviceIds: deviceIds.join(','), hours: hours.join(',') };
}

/**
 * Runs a storage job's `work` in one transaction on its own pool connection, declared
 * NOT_A_LIVE_WRITER so that the live outputs do not wait for it: `work` must never store readings.
 * A connection that fails mid-way (terminated, reset) is closed rather than given back to the
 * pool; its error event is handled here, as the pool only listens on idle connections.
 */
export async function inJobTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  const ignore = () => undefined;
  client.on('error', ignore);
  let broken = false;
  try {
    await client.query(`BEGIN; SET LOCAL application_name = '${NOT_A_LIVE_WRITER}'`);
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => (broken = true));
    broken = true;
    throw error;
  } finally {
    client.off('error', ignore);
    client.release(broken);
  }
}
