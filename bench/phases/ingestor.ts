import type pg from 'pg';
import {
  type Backlog,
  batchSnapshot,
  type BatchStats,
  batchStats,
  drainBacklog,
  storedSummary,
  type Throughput,
} from '../drain.js';
import { type BenchIngestor, log, procStatus } from '../processes.js';
import { checkpoint, type Target } from '../target.js';

export type IngestorRun = Throughput &
  BatchStats & { rssIdleMb: number; rssAfterDrainMb: number; hwmAfterDrainMb: number };

/** One drain of the backlog by a running ingestor, from the target's broker into its database. */
export async function measureIngestorDrain(
  label: string,
  running: BenchIngestor,
  target: Target,
  backlog: Backlog,
): Promise<IngestorRun> {
  const beforeDrain = await batchSnapshot(running);
  const rssIdleMb = procStatus(running.child.pid!).rssKb / 1024;
  await checkpoint(target.sql);
  const drain = await drainBacklog(label, target.broker, backlog, {
    pid: running.child.pid!,
    progress: () => running.metric('sck_ingest_readings_stored_total'),
    pollMs: 100,
  });
  const result = {
    ...(await storedSummary(target.sql, backlog, drain)),
    rssIdleMb,
    rssAfterDrainMb: procStatus(running.child.pid!).rssKb / 1024,
    hwmAfterDrainMb: procStatus(running.child.pid!).hwmKb / 1024,
    ...batchStats(beforeDrain, await batchSnapshot(running)),
  };
  log(
    `${label}: ${result.stored} rows, ${result.readingsPerSecond.toFixed(0)} readings/s, ` +
      `${result.cpuMsPer1000.toFixed(2)} ms CPU per 1,000`,
  );
  return result;
}

export interface StoredShape {
  /** Rejected inputs by reason. */
  rejections: { reason: string; n: string }[];
  /** Device–sensor pairs recorded, devices with a last reading, and pairs in `readings` not recorded. */
  pairs: { pairs: number; devices: number; missing: number };
}

/** What the ingestor's drain left besides readings: rejections and the sensor pairs it recorded. */
export async function storedShape(sql: pg.Pool): Promise<StoredShape> {
  const { rows: rejections } = await sql.query<{ reason: string; n: string }>(
    'SELECT reason, count(*) AS n FROM ingest_errors GROUP BY reason ORDER BY reason',
  );
  const { rows: pairRows } = await sql.query<{ pairs: number; devices: number; missing: number }>(
    `SELECT (SELECT count(*)::int FROM device_sensors) AS pairs,
            (SELECT count(*)::int FROM devices WHERE last_reading_at IS NOT NULL) AS devices,
            (SELECT count(*)::int FROM (SELECT DISTINCT device_id, sensor_id FROM readings) p
              WHERE NOT EXISTS (SELECT 1 FROM device_sensors ds
                                 WHERE ds.device_id = p.device_id AND ds.sensor_id = p.sensor_id)) AS missing`,
  );
  return { rejections, pairs: pairRows[0] };
}
