import pg from 'pg';
import { deployDatabase } from '#db';
import { withAdmin } from '../tools/harness/env.js';
import { startMosquitto, type TestBroker } from '../tools/harness/mosquitto.js';
import type { CleanupStack, Release } from './cleanup.js';
import { log } from './processes.js';

/** A private broker, a fresh migrated database and a small pool on it: what a drain runs against. */
export interface Target {
  broker: TestBroker;
  /** Stops the broker now (a drain that needs a fresh one starts it with `freshBroker`). */
  stopBroker: Release;
  databaseName: string;
  databaseUrl: string;
  sql: pg.Pool;
  /** Ends the pool and drops the database now. */
  drop: Release;
}

export function databaseUrlOn(adminUrl: string, name: string): string {
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Queue limits raised so the whole backlog waits in the broker while the consumer is stopped. */
export async function startBenchBroker(
  cleanup: CleanupStack,
): Promise<{ broker: TestBroker; stop: Release }> {
  const broker = await startMosquitto({ maxInflightMessages: 100 });
  return { broker, stop: cleanup.defer(() => broker.stop()) };
}

export async function openTarget(cleanup: CleanupStack, adminUrl: string, name: string): Promise<Target> {
  const databaseUrl = databaseUrlOn(adminUrl, name);
  const dropDatabase = cleanup.defer(() =>
    withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`), adminUrl),
  );
  const { broker, stop: stopBroker } = await startBenchBroker(cleanup);
  await deployDatabase(databaseUrl);
  const sql = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const endPool = cleanup.defer(() => sql.end());
  const drop: Release = async () => {
    await endPool();
    await dropDatabase();
  };
  return { broker, stopBroker, databaseName: name, databaseUrl, sql, drop };
}

/** Swaps the target's broker for a fresh one: no session of an earlier consumer is in the way. */
export async function freshBroker(cleanup: CleanupStack, target: Target): Promise<void> {
  await target.stopBroker();
  const { broker, stop } = await startBenchBroker(cleanup);
  target.broker = broker;
  target.stopBroker = stop;
}

export async function resetReadings(sql: pg.Pool): Promise<void> {
  await sql.query('TRUNCATE readings, device_sensors, ingest_errors');
  await sql.query('UPDATE devices SET first_reading_at = NULL, last_reading_at = NULL');
  await sql.query('VACUUM ANALYZE devices');
}

/**
 * Every drain starts from a checkpoint, so that no drain meets a checkpoint brought on by the WAL of
 * the drains before it (max_wal_size, 1 GB by default): a drain of 700,000 readings by the ingestor
 * writes some 180 MB of WAL, and a full run drains 1.75 M readings three times. Skipped, with a
 * note, for a role that may not checkpoint.
 */
export async function checkpoint(pool: pg.Pool): Promise<void> {
  try {
    await pool.query('CHECKPOINT');
  } catch (error) {
    log(`CHECKPOINT refused (${(error as Error).message}); drains start wherever the WAL is`);
  }
}
