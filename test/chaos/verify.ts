import type { TestDatabase } from '../../tools/harness/database.js';
import { apiLatestValues } from '../helpers/repositories.js';
import type { SentReading } from '../../tools/simulator/steady-fleet.js';

export interface Verdict {
  /** Readings the broker acknowledged to the kits. */
  expected: number;
  /** Of those, stored with the value that was sent. */
  stored: number;
  lost: number;
  /** Rows beyond one per (device, sensor, instant). */
  duplicated: number;
  /**
   * device × sensor pairs whose latest value, as the API reads it, is not the newest stored
   * reading (or that the API does not show, or shows without a stored reading).
   */
  wrongLatest: number;
  /** When wrongLatest > 0: what the two sides held, so a failing row says why. */
  latestDetail?: string;
  /** When readings are missing: what `readings` holds and examples of the missing ones. */
  lostDetail?: string;
}

/**
 * Row-level check: every acknowledged reading stored exactly once, latest values correct.
 * `explain`: when readings are missing, also say what `readings` holds (a scan, so only for the
 * verdict a row ends with, not for the polls while it catches up).
 */
export async function verifyStored(
  db: TestDatabase,
  acked: SentReading[],
  explain = false,
): Promise<Verdict> {
  const { sql } = db;
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
    // Latest values as the API reads them, against the newest stored row of every pair.
    const { rows: newest } = await client.query<{
      device_id: number;
      sensor_id: number;
      t: string;
      value: number;
    }>(
      `SELECT DISTINCT ON (device_id, sensor_id) device_id, sensor_id,
              (extract(epoch FROM recorded_at) * 1000)::bigint AS t, value
         FROM readings ORDER BY device_id, sensor_id, recorded_at DESC`,
    );
    const shown = new Map<string, { t: number; value: number }>();
    for (const v of await apiLatestValues(db.url, [...devices.values()])) {
      shown.set(`${v.deviceId}:${v.sensorId}`, { t: v.recordedAt.getTime(), value: v.value });
    }
    let wrongLatest = Math.abs(shown.size - newest.length);
    const examples: string[] = [];
    for (const n of newest) {
      const s = shown.get(`${n.device_id}:${n.sensor_id}`);
      if (!s || s.t !== Number(n.t) || s.value !== n.value) {
        wrongLatest++;
        if (examples.length < 3)
          examples.push(
            `${n.device_id}:${n.sensor_id} stored ${n.t}=${n.value}, shown ${s ? `${s.t}=${s.value}` : 'none'}`,
          );
      }
    }
    let latestDetail: string | undefined;
    if (wrongLatest > 0) {
      const pairs = await client.query<{ n: number }>('SELECT count(*)::int AS n FROM device_sensors');
      latestDetail = `shown ${shown.size} pairs, stored newest ${newest.length}, device_sensors ${pairs.rows[0].n}; ${examples.join('; ')}`;
    }
    const expected = deviceIds.length;
    const stored = rows[0].stored;
    let lostDetail: string | undefined;
    if (explain && stored < expected) {
      // What the table holds next to what was expected: a failing row says which side is off.
      const { rows: held } = await client.query<{ n: number; devices: number; first: Date; last: Date }>(
        `SELECT count(*)::int AS n, count(DISTINCT device_id)::int AS devices,
                min(recorded_at) AS first, max(recorded_at) AS last FROM readings`,
      );
      const { rows: missing } = await client.query<{ e: string; r: string | null }>(
        `SELECT e::text AS e, (SELECT r.value::text FROM readings r
                                WHERE (r.device_id, r.sensor_id, r.recorded_at) = (e.device_id, e.sensor_id, e.recorded_at)) AS r
           FROM unnest($1::int[], $2::int[], $3::timestamptz[], $4::float8[]) AS e(device_id, sensor_id, recorded_at, value)
          WHERE NOT EXISTS (SELECT 1 FROM readings r
                             WHERE (r.device_id, r.sensor_id, r.recorded_at) = (e.device_id, e.sensor_id, e.recorded_at)
                               AND r.value = e.value)
          LIMIT 3`,
        [deviceIds, sensorIds, times, values],
      );
      const h = held[0];
      lostDetail =
        `readings holds ${h.n} rows of ${h.devices} devices, ${h.first?.toISOString()} to ${h.last?.toISOString()}; ` +
        `${devices.size} devices known; missing e.g. ${missing.map((m) => `${m.e} (stored value ${m.r ?? 'none'})`).join(', ')}`;
    }
    return {
      expected,
      stored,
      lost: expected - stored,
      duplicated: dup.rows[0].duplicated,
      wrongLatest,
      ...(latestDetail ? { latestDetail } : {}),
      ...(lostDetail ? { lostDetail } : {}),
    };
  } finally {
    client.release();
  }
}
