import type pg from 'pg';

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
 * Runs `work` in one transaction on its own pool connection. A connection that fails mid-way
 * (terminated, reset) is closed rather than given back to the pool; its error event is handled
 * here, as the pool only listens on idle connections.
 */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  const ignore = () => undefined;
  client.on('error', ignore);
  let broken = false;
  try {
    await client.query('BEGIN');
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
