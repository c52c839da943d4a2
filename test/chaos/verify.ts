import type pg from 'pg';
import type { SentReading } from './fleet.js';

export interface Verdict {
  /** Readings the broker acknowledged to the kits. */
  expected: number;
  /** Of those, stored with the value that was sent. */
  stored: number;
  lost: number;
  /** Rows beyond one per (device, sensor, instant). */
  duplicated: number;
  /** device × sensor pairs whose latest value is not the newest stored reading. */
  wrongLatest: number;
}

/** Row-level check: every acknowledged reading stored exactly once, latest values correct. */
export async function verifyStored(sql: pg.Pool, acked: SentReading[]): Promise<Verdict> {
  const devices = new Map<string, number>(
    (await sql.query<{ id: number; token: string }>('SELECT id, token FROM devices')).rows.map((r) => [
      r.token,
      r.id,
    ]),
  );
  const deviceIds: number[] = [];
  const sensorIds: number[] = [];
  const times: string[] = [];
  const values: number[] = [];
  for (const r of acked) {
    for (const v of r.values) {
      deviceIds.push(devices.get(r.token) ?? -1);
      sensorIds.push(v.id);
      times.push(new Date(r.recordedAt).toISOString());
      values.push(Number(v.value));
    }
  }
  const client = await sql.connect();
  try {
    const { rows } = await client.query<{ stored: number }>(
      `SELECT count(r.*)::int AS stored
         FROM unnest($1::int[], $2::int[], $3::timestamptz[], $4::float8[]) AS e(device_id, sensor_id, recorded_at, value)
         JOIN readings r USING (device_id, sensor_id, recorded_at)
        WHERE r.value = e.value`,
      [deviceIds, sensorIds, times, values],
    );
    const dup = await client.query<{ duplicated: number }>(
      `SELECT (count(*) - count(DISTINCT (device_id, sensor_id, recorded_at)))::int AS duplicated FROM readings`,
    );
    const latest = await client.query<{ wrong: number }>(
      `SELECT count(*)::int AS wrong
         FROM (SELECT DISTINCT ON (device_id, sensor_id) device_id, sensor_id, recorded_at, value
                 FROM readings ORDER BY device_id, sensor_id, recorded_at DESC) newest
         FULL JOIN device_sensors ds USING (device_id, sensor_id)
        WHERE ds.value IS DISTINCT FROM newest.value OR ds.recorded_at IS DISTINCT FROM newest.recorded_at`,
    );
    const expected = deviceIds.length;
    const stored = rows[0].stored;
    return {
      expected,
      stored,
      lost: expected - stored,
      duplicated: dup.rows[0].duplicated,
      wrongLatest: latest.rows[0].wrong,
    };
  } finally {
    client.release();
  }
}
