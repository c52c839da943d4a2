import { spawn } from 'node:child_process';
import { join } from 'node:path';
import pg from 'pg';
import { freePort } from '../../tools/harness/ports.js';
import { waitFor } from '../../tools/harness/poll.js';
import { refreshRollups, rollupStatementFor } from '#db';
import { type BenchContext, startPhase } from '../context.js';
import { log } from '../processes.js';
import { percentile } from '../stats.js';
import type { Target } from '../target.js';

export interface RollupSeries {
  deviceId: number;
  sensorId: number;
  /** ISO instants, `from` inclusive, `to` exclusive. */
  from: string;
  to: string;
  rows: number;
}

export interface RollupTiming {
  runs: number;
  p50: number;
  p95: number;
  /** Buckets returned by the last run, to show both halves answer the same question. */
  buckets: number;
}

const ROOT = join(import.meta.dirname, '..', '..');
const SENSOR = 55; // temperature
const DAYS = 30;

/** 30 days of one-minute readings of one sensor on a kit of its own, amid whatever else is stored. */
export async function seedRollupSeries(sql: pg.Pool): Promise<RollupSeries> {
  const { rows } = await sql.query<{ id: number }>(
    `INSERT INTO devices (token, name) VALUES ('rollup', 'rollup bench kit') RETURNING id`,
  );
  const deviceId = rows[0].id;
  const to = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000);
  const from = new Date(to.getTime() - DAYS * 86_400_000);
  const result = await sql.query(
    `INSERT INTO readings (device_id, sensor_id, recorded_at, value)
     SELECT $1, $2, at, round((20 + 5 * sin(extract(epoch FROM at) / 43200 * pi()) + random())::numeric, 2)
       FROM generate_series($3::timestamptz, $4::timestamptz - interval '1 minute', interval '1 minute') AS at`,
    [deviceId, SENSOR, from.toISOString(), to.toISOString()],
  );
  // The pair, as the ingestor records it: the API answers only for sensors a device reported.
  await sql.query('INSERT INTO device_sensors (device_id, sensor_id) VALUES ($1, $2)', [deviceId, SENSOR]);
  await sql.query(
    `UPDATE devices SET first_reading_at = $2, last_reading_at = $3::timestamptz - interval '1 minute' WHERE id = $1`,
    [deviceId, from.toISOString(), to.toISOString()],
  );
  // Rows written outside the ingest statement mark their hours themselves; then the rollup job.
  await sql.query(
    `INSERT INTO rollup_marks (device_ids, hours)
     SELECT array_agg($1::int), array_agg(h::int)
       FROM generate_series(extract(epoch FROM $2::timestamptz)::bigint / 3600,
                            extract(epoch FROM $3::timestamptz)::bigint / 3600 - 1) AS h`,
    [deviceId, from.toISOString(), to.toISOString()],
  );
  for (;;) {
    const step = await refreshRollups(sql, new Date('2100-01-01T00:00:00Z'));
    if (step && step.marks === 0 && step.buckets === 0) break;
  }
  await sql.query('ANALYZE readings');
  return {
    deviceId,
    sensorId: SENSOR,
    from: from.toISOString(),
    to: to.toISOString(),
    rows: result.rowCount ?? 0,
  };
}

/**
 * Times `runs` calls of each of `a` and `b`, alternating (a b, b a, a b, …) after 3 untimed calls
 * of each, so that both meet the same moments of a shared machine: timed one after the other, a
 * busy spell that falls on one of them alone moves the ratio of their p95s by 0.5 or more.
 */
async function timeInterleaved(
  runs: number,
  a: () => Promise<number>,
  b: (() => Promise<number>) | null,
): Promise<[RollupTiming, RollupTiming | null]> {
  for (let i = 0; i < 3; i++) {
    await a();
    await b?.();
  }
  const times: [number[], number[]] = [[], []];
  const buckets = [0, 0];
  const timed = async (k: 0 | 1, once: () => Promise<number>) => {
    const started = performance.now();
    buckets[k] = await once();
    times[k].push(performance.now() - started);
  };
  for (let i = 0; i < runs; i++) {
    if (!b) await timed(0, a);
    else if (i % 2 === 0) {
      await timed(0, a);
      await timed(1, b);
    } else {
      await timed(1, b);
      await timed(0, a);
    }
  }
  const timing = (k: 0 | 1): RollupTiming => ({
    runs,
    p50: percentile(times[k], 50),
    p95: percentile(times[k], 95),
    buckets: buckets[k],
  });
  return [timing(0), b ? timing(1) : null];
}

/**
 * The rollup two ways, timed alternately (timeInterleaved):
 *
 * - SQL: the API's own rollup statement (`rollupStatementFor`, 1 h buckets, avg), run directly with
 *   pg: the same SQL, without HTTP, Nest or the lookups around it. On a connection of its own, as
 *   fresh as the API's: a backend that once sorted more than this (the one that seeded the series)
 *   ran the same statement 2.2 ms faster (7.4 against 9.6 ms p50), an advantage the API's
 *   connections never get.
 * - API: the same rollup through the REST API, served by the API as its own process (`build` as
 *   for the ingestor), the way it is deployed: inside the benchmark process its requests would
 *   share an event loop and a heap with the bench's own fleet and bookkeeping. Null when the
 *   readings endpoint does not exist (404) in this build: no number is better than a made-up one.
 */
export async function measureRollups(
  databaseUrl: string,
  series: RollupSeries,
  runs: number,
  build: 'src' | 'dist',
): Promise<{ sql: RollupTiming; api: RollupTiming | null }> {
  const statement = rollupStatementFor({
    deviceId: series.deviceId,
    sensorId: series.sensorId,
    from: new Date(series.from),
    to: new Date(series.to),
    every: { count: 1, unit: 'h' },
    fn: 'avg',
  });
  const api = await startApi(databaseUrl, build);
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  const sqlOnce = async () => {
    const { rowCount } = await pool.query(statement.text, statement.values);
    return rowCount ?? 0;
  };
  try {
    const query = new URLSearchParams({
      sensor_id: String(series.sensorId),
      rollup: '1h',
      function: 'avg',
      from: series.from,
      to: series.to,
    });
    const url = `${api.url}/v0/devices/${series.deviceId}/readings?${query.toString()}`;
    const probe = await fetch(url);
    await probe.arrayBuffer();
    if (probe.status !== 404 && !probe.ok) throw new Error(`GET ${url} answered ${probe.status}`);
    const apiOnce =
      probe.status === 404
        ? null
        : async () => {
            const response = await fetch(url);
            if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
            const body = (await response.json()) as { readings?: unknown[] };
            return Array.isArray(body.readings) ? body.readings.length : 0;
          };
    const [sql, apiTiming] = await timeInterleaved(runs, sqlOnce, apiOnce);
    return { sql, api: apiTiming };
  } finally {
    await api.stop();
    await pool.end();
  }
}

/** The API as its own process, once it answers /health. */
export async function startApi(
  databaseUrl: string,
  build: 'src' | 'dist',
): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const entry =
    build === 'dist'
      ? ['dist/apps/api/src/main.js']
      : ['--conditions=source', '--import', '@swc-node/register/esm-register', 'apps/api/src/main.ts'];
  let output = '';
  const child = spawn(process.execPath, entry, {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      // The timed runs come faster than a client is allowed to (150 a minute by default).
      RATE_LIMIT_PER_MINUTE: '1000000',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    child.kill('SIGTERM');
    await exited;
  };
  const ready = waitFor(async () => (await fetch(`http://127.0.0.1:${port}/health`)).ok, Boolean, {
    what: 'the API to answer /health',
    timeoutMs: 60_000,
    intervalMs: 200,
  });
  const died = exited.then(() => {
    throw new Error(`the API exited early (${child.exitCode})`);
  });
  died.catch(() => undefined);
  try {
    await Promise.race([ready, died]);
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n--- API output ---\n${output}`, { cause: error });
  }
  return { url: `http://127.0.0.1:${port}`, stop };
}

/** Timed runs of each rollup: with 50, p95 would be the third-slowest run and move with any one hiccup. */
const ROLLUP_RUNS = 200;

export interface RollupResult {
  series: RollupSeries;
  sql: RollupTiming;
  api: RollupTiming | null;
}

/** The readings rollup over 30 days of minute data for one sensor, in SQL and through the API. */
export async function rollupPhase(context: BenchContext, main: Target): Promise<RollupResult> {
  startPhase(context, 'rollup');
  const series = await seedRollupSeries(main.sql);
  const { sql, api } = await measureRollups(
    main.databaseUrl,
    series,
    ROLLUP_RUNS,
    context.options.ingestorBuild,
  );
  if (api && api.buckets !== sql.buckets) {
    // A timing of a different answer means nothing: fail loudly instead of printing it.
    throw new Error(`the API returned ${api.buckets} buckets where the SQL returned ${sql.buckets}`);
  }
  log(
    `rollup: SQL p50 ${sql.p50.toFixed(1)} ms p95 ${sql.p95.toFixed(1)} ms; API ${api ? `p95 ${api.p95.toFixed(1)} ms` : 'n/a'}`,
  );
  return { series, sql, api };
}
