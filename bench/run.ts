import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { loadIngestorConfig } from '../libs/config/src/index.js';
import { deployDatabase } from '../libs/db/src/index.js';
import { withAdmin } from '../tools/harness/env.js';
import { type IngestorProcess, spawnIngestor } from '../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../tools/harness/mosquitto.js';
import { Fleet, type FleetMessage } from '../tools/simulator/fleet.js';
import { FleetPublisher } from '../tools/simulator/publisher.js';
import { measureWriteCeiling, type WriteCeiling } from './write-ceiling.js';
import { measureRollups, seedRollupSeries, type RollupTiming } from './rollup.js';
import { benchWorldMap, type WorldMapTiming } from './world-map.js';
import { cpuMsFromProcStat, mean, percentOf, percentile, perThousand } from './stats.js';
import { perSecond } from '../tools/simulator/rate.js';
import { publishPrepared, publishPaced, registerFleet } from '../tools/simulator/traffic.js';

const ROOT = join(import.meta.dirname, '..');

// `--storage`: the storage bench alone (bench/storage-run.ts, its own flags and database).
if (process.argv.includes('--storage')) {
  await import('./storage-run.js');
  process.exit(0);
}

const { values: flags } = parseArgs({
  options: {
    quick: { type: 'boolean' },
    seed: { type: 'string', default: '1' },
    devices: { type: 'string', default: '2000' },
    backlog: { type: 'string' },
    'overload-seconds': { type: 'string' },
    'latency-seconds': { type: 'string' },
    'latency-warmup-seconds': { type: 'string' },
    'latency-samples': { type: 'string' },
    'ingestor-log': { type: 'string' },
    'ingestor-env': { type: 'string', multiple: true },
    'ingestor-node-arg': { type: 'string', multiple: true },
    'ingestor-build': { type: 'string', default: 'src' },
    out: { type: 'string', default: 'latest' },
    live: { type: 'boolean' },
    'live-rate': { type: 'string', default: '500' },
    'live-seconds': { type: 'string', default: '30' },
    'live-subscribers': { type: 'string', default: '1000' },
    'live-wildcard': { type: 'string', default: '1' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (flags.help) {
  console.log(`npm run bench [-- --quick] [--seed 1] [--devices 2000] [--backlog <messages>]
                [--latency-seconds 30] [--latency-warmup-seconds 5] [--latency-samples <file>] [--ingestor-log <file>] [--overload-seconds 60] [--ingestor-env KEY=VALUE ...] [--out latest]
                [--ingestor-build src|dist] [--ingestor-node-arg=--cpu-prof ...]
Starts a private Mosquitto and a fresh database, then measures a minimal baseline pipeline and the
ingestor on the same traffic, each draining it twice, in the order baseline, ingestor, ingestor,
baseline (the ingestor's share is of the means). --ingestor-build also picks the API's build for the rollup phase.
Writes bench/results/<out>.json and <out>.md.
--live [--live-rate 500] [--live-seconds 30] [--live-subscribers 1000] [--live-wildcard 1]: only the
live firehose's commit → subscriber latency (bench/live.ts); writes bench/results/<out>-live.json.
Live outputs on vs off: compare a run with --ingestor-env LIVE_ENABLED=false to one without.`);
  process.exit(0);
}
const quick = flags.quick === true;
const seed = Number(flags.seed);
const devices = Number(flags.devices);
const backlogMessages = Number(flags.backlog ?? (quick ? 40_000 : 200_000));
const latencySeconds = Number(flags['latency-seconds'] ?? (quick ? 10 : 30));
/**
 * Live traffic at the phase's rate before its timed window. The ingestor has idled through the
 * second baseline, whose rows pushed the ingestor's pages out of Postgres's shared buffers: its
 * first batches take 3-6× as long as the same batches a second later (bench/README.md, tuning
 * item 21). The warm-up's probes are timed too, and reported on their own.
 */
const latencyWarmupSeconds = Number(flags['latency-warmup-seconds'] ?? 5);
/** Where to write every probe as `<rate> <published at, epoch ms> <latency ms>`, to look at over time. */
const latencySamplesFile = flags['latency-samples'];
if (latencySamplesFile) writeFileSync(latencySamplesFile, '');
/**
 * Where to write what each ingestor process printed (stdout and stderr), once it has stopped: with
 * `--ingestor-env LOG_LEVEL=debug` every batch's size and duration, with
 * `--ingestor-node-arg=--trace-gc` every collection.
 */
const ingestorLogFile = flags['ingestor-log'];
if (ingestorLogFile) writeFileSync(ingestorLogFile, '');
const overloadSeconds = Number(flags['overload-seconds'] ?? (quick ? 15 : 60));
const ingestorOverrides = Object.fromEntries(
  (flags['ingestor-env'] ?? []).map((pair) => {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`--ingestor-env ${pair}: expected KEY=VALUE`);
    return [pair.slice(0, eq), pair.slice(eq + 1)];
  }),
);
const ingestorBuild = flags['ingestor-build'] === 'dist' ? 'dist' : 'src';
if (flags.live) {
  const { runLiveBench } = await import('./live.js');
  await runLiveBench({
    adminUrl: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
    devices: Number(flags.devices),
    seed: Number(flags.seed),
    rate: Number(flags['live-rate']),
    seconds: Number(flags['live-seconds']),
    warmupSeconds: Number(flags['latency-warmup-seconds'] ?? 5),
    subscribers: Number(flags['live-subscribers']),
    wildcard: Number(flags['live-wildcard']),
    ingestorEnv: ingestorOverrides,
    ingestorBuild,
    out: flags.out,
  });
  process.exit(0);
}
/** Rows per batch for both pipelines: the ingestor's BATCH_MAX_ROWS (its default or --ingestor-env). */
const batchRows = loadIngestorConfig(ingestorOverrides).BATCH_MAX_ROWS;
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const PUBLISHERS = 8;
const PROBE_EVERY = 25;
/** Located, published devices on the world map phase's map (the issue's fleet size). */
const WORLD_MAP_DEVICES = 50_000;

/** Timed runs of each rollup: with 50, p95 was the third-slowest run and moved with any one hiccup. */
const ROLLUP_RUNS = 200;
const STALL_MS = 20_000;
const POLL_MS = 50;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const loads = () => loadavg().map((l) => Number(l.toFixed(2))) as [number, number, number];

interface Throughput {
  messages: number;
  expectedReadings: number;
  stored: number;
  /** From the first to the last commit, as seen by polling every POLL_MS (the bench's clock). */
  spanMs: number;
  readingsPerSecond: number;
  /** From the first to the last batch's transaction start (received_at, Postgres's clock). */
  receivedAtSpanMs: number;
  /** From resuming the consumer to seeing the last row stored (the bench's clock). */
  drainMs: number;
  /**
   * The consumer's CPU time (user + system) over drainMs, per 1,000 readings stored: the cost of a
   * reading, which a busy machine disturbs less than it disturbs the rate.
   */
  cpuMsPer1000: number;
  lost: number;
  duplicated: number;
}

function databaseUrl(name: string): string {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/** What the backlog phase stored: row count against the distinct readings sent, commit span. */
async function storedSummary(
  sql: pg.Pool,
  expected: number,
  messages: number,
  progress: Progress & { drainMs: number; cpuMs: number },
): Promise<Throughput> {
  const { rows } = await sql.query<{ n: string; span_ms: number | null; dupes: string }>(
    `SELECT count(*) AS n,
            extract(epoch FROM max(received_at) - min(received_at)) * 1000 AS span_ms,
            count(*) - count(DISTINCT (device_id, sensor_id, recorded_at)) AS dupes
       FROM readings`,
  );
  const stored = Number(rows[0].n);
  const spanMs = progress.lastSeenAt - progress.firstSeenAt;
  return {
    messages,
    expectedReadings: expected,
    stored,
    spanMs,
    readingsPerSecond: perSecond(stored, spanMs),
    receivedAtSpanMs: Number(rows[0].span_ms ?? 0),
    drainMs: progress.drainMs,
    cpuMsPer1000: perThousand(progress.cpuMs, stored),
    lost: Math.max(0, expected - stored),
    duplicated: Math.max(0, stored - expected) + Number(rows[0].dupes),
  };
}

async function resetReadings(sql: pg.Pool): Promise<void> {
  await sql.query('TRUNCATE readings, device_sensors, ingest_errors');
  await sql.query('UPDATE devices SET first_reading_at = NULL, last_reading_at = NULL');
  await sql.query('VACUUM ANALYZE devices');
}

interface Progress {
  /** Bench clock (Date.now()) when the first and the last stored rows were seen. */
  firstSeenAt: number;
  lastSeenAt: number;
  stored: number;
}

/**
 * Polls `progress()` every POLL_MS until it reaches `target` or has not moved for STALL_MS,
 * noting when rows were first and last seen: the commit span, to ±POLL_MS.
 */
async function waitForProgress(
  progress: () => Promise<number> | number,
  target: number,
  what: string,
  pollMs = POLL_MS,
): Promise<Progress> {
  let last = 0;
  let firstSeenAt = 0;
  let lastSeenAt = 0;
  const started = Date.now();
  for (;;) {
    const now = await progress();
    const at = Date.now();
    if (now > last) {
      if (last === 0) firstSeenAt = at;
      lastSeenAt = at;
      last = now;
    }
    if (now >= target) return { firstSeenAt, lastSeenAt, stored: now };
    if (at - (lastSeenAt || started) > STALL_MS) {
      log(`${what}: stalled at ${now} of ${target}`);
      return { firstSeenAt, lastSeenAt, stored: now };
    }
    await sleep(pollMs);
  }
}

function spawnBaseline(brokerUrl: string, dbUrl: string) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      '@swc-node/register/esm-register',
      'bench/baseline-consumer.ts',
      brokerUrl,
      dbUrl,
      String(batchRows),
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let committed = 0;
  let deadlocks = 0;
  let output = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'ready') onReady();
      else if (line.startsWith('committed ')) [committed, deadlocks] = line.slice(10).split(' ').map(Number);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', (code) => {
    if (code) log(`baseline exited with ${code}: ${output}`);
  });
  return { child, ready, committed: () => committed, deadlocks: () => deadlocks, output: () => output };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

/** SIGTERM (lets a --cpu-prof run write its profile), SIGKILL if it has not exited within 10 s. */
async function stopIngestor(running: IngestorProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  const killer = setTimeout(() => running.child.kill('SIGKILL'), 10_000);
  await running.kill(signal);
  clearTimeout(killer);
  if (ingestorLogFile) {
    appendFileSync(ingestorLogFile, `--- ingestor pid ${running.child.pid}, stopped with ${signal} ---\n`);
    appendFileSync(ingestorLogFile, running.output());
  }
}

function procStatus(pid: number): { rssKb: number; hwmKb: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** CPU time the process has used so far, in ms (`/proc/<pid>/stat` counts in USER_HZ, 100 on Linux). */
function procCpuMs(pid: number): number {
  return cpuMsFromProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** The ingestor as shipped, on `database` and `at`, with the run's overrides and node flags. */
function startIngestor(database: string, at: TestBroker): Promise<IngestorProcess> {
  return spawnIngestor(
    {
      NODE_ENV: 'production',
      DATABASE_URL: database,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(at.port),
      MQTT_CLIENT_ID: `bench${randomBytes(3).toString('hex')}`,
      MQTT_KEEPALIVE_SECONDS: '300',
      LOG_LEVEL: 'warn',
      INGESTOR_PORT: '0',
      HOST: '127.0.0.1',
      ...ingestorOverrides,
    },
    { nodeArgs: flags['ingestor-node-arg'] ?? [], build: ingestorBuild },
  );
}

type IngestorRun = Throughput &
  BatchStats & { rssIdleMb: number; rssAfterDrainMb: number; hwmAfterDrainMb: number };

/** One drain of the backlog by a running ingestor, into the database of `pool`. */
async function measureIngestorDrain(
  label: string,
  running: IngestorProcess,
  at: TestBroker,
  pool: pg.Pool,
  backlog: readonly FleetMessage[],
  expected: number,
): Promise<IngestorRun> {
  const beforeDrain = await batchSnapshot(running);
  const rssIdleMb = procStatus(running.child.pid!).rssKb / 1024;
  await checkpoint(pool);
  const drain = await drainBacklog(label, at, backlog, expected, {
    pid: running.child.pid!,
    progress: () => running.metric('sck_ingest_readings_stored_total'),
    pollMs: 100,
  });
  const result = {
    ...(await storedSummary(pool, expected, backlog.length, drain)),
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

type BaselineRun = Throughput & { deadlocksRetried: number };

/** One drain of the backlog by the baseline consumer, on `at` into the database of `pool`. */
async function measureBaseline(
  label: string,
  at: TestBroker,
  url: string,
  pool: pg.Pool,
  backlog: readonly FleetMessage[],
  expected: number,
): Promise<BaselineRun> {
  const baseline = spawnBaseline(at.url, url);
  baselineChild = baseline.child;
  await baseline.ready;
  await checkpoint(pool);
  const drain = await drainBacklog(label, at, backlog, expected, {
    pid: baseline.child.pid!,
    progress: baseline.committed,
  });
  await stopChild(baseline.child);
  baselineChild = undefined;
  const result = {
    ...(await storedSummary(pool, expected, backlog.length, drain)),
    deadlocksRetried: baseline.deadlocks(),
  };
  if (baseline.output()) log(`${label} stderr: ${baseline.output().slice(0, 2000)}`);
  log(
    `${label}: ${result.stored} rows, ${result.readingsPerSecond.toFixed(0)} readings/s, ` +
      `${result.cpuMsPer1000.toFixed(2)} ms CPU per 1,000`,
  );
  return result;
}

/**
 * Every drain starts from a checkpoint, so that no drain meets a checkpoint brought on by the WAL of
 * the drains before it (max_wal_size, 1 GB by default): 702,318 readings drained by the ingestor
 * wrote 183 MB of WAL here, and a full run drains 1.75 M readings three times. Skipped, with a note,
 * for a role that may not checkpoint.
 */
async function checkpoint(pool: pg.Pool): Promise<void> {
  try {
    await pool.query('CHECKPOINT');
  } catch (error) {
    log(`CHECKPOINT refused (${(error as Error).message}); drains start wherever the WAL is`);
  }
}

/** The fixed backlog, published while the consumer is stopped, then drained as fast as it can. */
async function drainBacklog(
  label: string,
  broker: TestBroker,
  backlog: readonly FleetMessage[],
  expected: number,
  consumer: { pid: number; progress: () => Promise<number> | number; pollMs?: number },
): Promise<Progress & { drainMs: number; cpuMs: number }> {
  process.kill(consumer.pid, 'SIGSTOP');
  const publisher = await FleetPublisher.connect({
    url: broker.url,
    connections: PUBLISHERS,
    qos: 1,
    clientIdPrefix: `bench-${label}`,
  });
  const publishMs = await publishPrepared(backlog, publisher);
  await publisher.close();
  if (publisher.acked !== backlog.length)
    throw new Error(`${label}: broker acked ${publisher.acked} of ${backlog.length}`);
  log(`${label}: ${backlog.length} messages queued in the broker in ${publishMs} ms; resuming the consumer`);
  const resumed = Date.now();
  const cpuBefore = procCpuMs(consumer.pid);
  process.kill(consumer.pid, 'SIGCONT');
  const progress = await waitForProgress(consumer.progress, expected, label, consumer.pollMs);
  const cpuMs = procCpuMs(consumer.pid) - cpuBefore;
  return { ...progress, drainMs: progress.lastSeenAt - resumed, cpuMs };
}

interface LatencyResult {
  rate: number;
  achievedRate: number;
  probes: number;
  seen: number;
  p50: number;
  p99: number;
  max: number;
  pollMs: number;
  /** The untimed lead-in at the same rate, and its probes' figures. */
  warmup: { seconds: number; probes: number; seen: number; p99: number; max: number };
}

/** Publishes live traffic at `rate` and times probe readings from publish to visible in Postgres. */
interface BatchStats {
  batches: number;
  meanBatchMs: number;
  meanReadingsPerBatch: number;
}

/** Batches the ingestor committed between two snapshots of its metrics. */
async function batchSnapshot(ingestor: IngestorProcess) {
  const [count, seconds, stored] = await Promise.all([
    ingestor.metric('sck_ingest_batches_total'),
    ingestor.metric('sck_ingest_batch_seconds_sum'),
    ingestor.metric('sck_ingest_readings_stored_total'),
  ]);
  return { count, seconds, stored };
}

function batchStats(
  before: Awaited<ReturnType<typeof batchSnapshot>>,
  after: Awaited<ReturnType<typeof batchSnapshot>>,
): BatchStats {
  const batches = after.count - before.count;
  return {
    batches,
    meanBatchMs: batches ? ((after.seconds - before.seconds) * 1000) / batches : Number.NaN,
    meanReadingsPerBatch: batches ? (after.stored - before.stored) / batches : Number.NaN,
  };
}

async function measureLatency(
  fleet: Fleet,
  broker: TestBroker,
  sql: pg.Pool,
  ids: Map<string, number>,
  rate: number,
  seconds: number,
  warmupSeconds: number,
): Promise<LatencyResult> {
  const publisher = await FleetPublisher.connect({
    url: broker.url,
    connections: 4,
    qos: 1,
    clientIdPrefix: 'bench-lat',
  });
  // device id → (recorded_at ms → published at ms), for the probe kits' non-duplicate readings.
  const pending = new Map<number, Map<number, number>>();
  const latencies: number[] = [];
  const warmupLatencies: number[] = [];
  const samples: string[] = [];
  let probes = 0;
  let warmupProbes = 0;
  // Probes published before this instant belong to the warm-up.
  let timedFrom = Infinity;
  let polls = 0;
  let pollTotalMs = 0;
  let publishing = true;
  let graceUntil = Infinity;
  const poller = (async () => {
    while (publishing || pending.size > 0) {
      const deviceIds: number[] = [];
      const since: string[] = [];
      for (const [device, times] of pending) {
        deviceIds.push(device);
        since.push(new Date(Math.min(...times.keys())).toISOString());
      }
      if (deviceIds.length > 0) {
        const started = performance.now();
        const { rows } = await sql.query<{ device_id: number; t: string }>(
          `SELECT r.device_id, (extract(epoch FROM r.recorded_at) * 1000)::bigint AS t
             FROM unnest($1::int[], $2::timestamptz[]) AS p(device_id, since)
             JOIN readings r ON r.device_id = p.device_id AND r.sensor_id = 10 AND r.recorded_at >= p.since`,
          [deviceIds, since],
        );
        const seenAt = Date.now();
        pollTotalMs += performance.now() - started;
        polls++;
        for (const row of rows) {
          const times = pending.get(row.device_id);
          const publishedAt = times?.get(Number(row.t));
          if (times && publishedAt !== undefined) {
            (publishedAt < timedFrom ? warmupLatencies : latencies).push(seenAt - publishedAt);
            samples.push(`${rate} ${publishedAt} ${seenAt - publishedAt}`);
            times.delete(Number(row.t));
            if (times.size === 0) pending.delete(row.device_id);
          }
        }
      }
      if (!publishing && Date.now() > graceUntil) break;
      await sleep(5);
    }
  })();
  timedFrom = Date.now() + warmupSeconds * 1000;
  const totals = await publishPaced(fleet, publisher, {
    rate,
    durationMs: (warmupSeconds + seconds) * 1000,
    onMessage: (m, publishedAt) => {
      if (m.device % PROBE_EVERY !== 0 || m.duplicate || m.recordedAt === null) return;
      const device = ids.get(fleet.tokens[m.device]);
      if (device === undefined) return;
      let times = pending.get(device);
      if (!times) pending.set(device, (times = new Map<number, number>()));
      times.set(m.recordedAt, publishedAt);
      if (publishedAt < timedFrom) warmupProbes++;
      else probes++;
    },
  });
  graceUntil = Date.now() + 10_000;
  publishing = false;
  await poller;
  await publisher.flush();
  await publisher.close();
  if (latencySamplesFile) appendFileSync(latencySamplesFile, samples.map((line) => `${line}\n`).join(''));
  return {
    rate,
    achievedRate: perSecond(totals.messages, totals.elapsedMs),
    probes,
    seen: latencies.length,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.length ? Math.max(...latencies) : Number.NaN,
    pollMs: polls ? pollTotalMs / polls : Number.NaN,
    warmup: {
      seconds: warmupSeconds,
      probes: warmupProbes,
      seen: warmupLatencies.length,
      p99: percentile(warmupLatencies, 99),
      max: warmupLatencies.length ? Math.max(...warmupLatencies) : Number.NaN,
    },
  };
}

interface OverloadResult {
  rate: number;
  achievedRate: number;
  seconds: number;
  peakRssMb: number;
  hwmMb: number;
  rssAtStartMb: number;
  storedPerSecond: number;
}

async function measureOverload(
  fleet: Fleet,
  broker: TestBroker,
  ingestor: IngestorProcess,
  rate: number,
  seconds: number,
): Promise<OverloadResult> {
  const pid = ingestor.child.pid!;
  const publisher = await FleetPublisher.connect({
    url: broker.url,
    connections: 4,
    qos: 1,
    clientIdPrefix: 'bench-ovl',
  });
  const start = procStatus(pid);
  let peakKb = start.rssKb;
  const sampler = setInterval(() => {
    peakKb = Math.max(peakKb, procStatus(pid).rssKb);
  }, 250);
  const storedBefore = await ingestor.metric('sck_ingest_readings_stored_total');
  const totals = await publishPaced(fleet, publisher, { rate, durationMs: seconds * 1000 });
  const storedAfter = await ingestor.metric('sck_ingest_readings_stored_total');
  clearInterval(sampler);
  const end = procStatus(pid);
  peakKb = Math.max(peakKb, end.rssKb);
  await publisher.close();
  return {
    rate,
    achievedRate: perSecond(totals.messages, totals.elapsedMs),
    seconds,
    peakRssMb: peakKb / 1024,
    hwmMb: end.hwmKb / 1024,
    rssAtStartMb: start.rssKb / 1024,
    storedPerSecond: perSecond(storedAfter - storedBefore, totals.elapsedMs),
  };
}

// --- the run -------------------------------------------------------------------------------------

const loadBefore = loads();
const startedAt = new Date();
log(
  `bench ${quick ? '(quick) ' : ''}seed ${seed}, ${devices} kits, backlog ${backlogMessages} messages; load ${loadBefore.join(' ')}`,
);
const dbName = `sck_bench_${randomBytes(4).toString('hex')}`;
const dbUrl = databaseUrl(dbName);
let broker: TestBroker | undefined;
let sql: pg.Pool | undefined;
const secondDbName = `${dbName}_b`;
const secondDbUrl = databaseUrl(secondDbName);
let secondBroker: TestBroker | undefined;
let secondSql: pg.Pool | undefined;
let ingestor: IngestorProcess | undefined;
let secondIngestor: IngestorProcess | undefined;
let baselineChild: ChildProcess | undefined;
const phaseLoads: Record<string, [number, number, number]> = {};
try {
  broker = await startMosquitto({ maxInflightMessages: 100 });
  await deployDatabase(dbUrl);
  sql = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const fleet = new Fleet({ devices, seed, mix: { raw: 0.9, json: 0.1 } });
  const ids = await registerFleet(dbUrl, fleet.tokens);
  const backlog = Array.from({ length: backlogMessages }, () => fleet.next());
  const expected = backlog.reduce((sum, m) => sum + m.newReadings, 0);
  log(`broker on ${broker.port}, database ${dbName}; backlog holds ${expected} distinct readings`);

  // 1. Baseline. Baseline and ingestor drain the backlog twice each, in the order baseline,
  // ingestor, ingestor, baseline (steps 1, 2, 2b, 2c), and the ingestor's share is of the means:
  // the load of a shared machine drifts over a run, and one drain on either side carries all of
  // a slow spell into the ratio.
  phaseLoads.baseline = loads();
  const baselineBefore = await measureBaseline('baseline', broker, dbUrl, sql, backlog, expected);
  await resetReadings(sql);

  // 2. The ingestor as shipped, draining the same backlog.
  phaseLoads.ingestor = loads();
  ingestor = await startIngestor(dbUrl, broker);
  const running = ingestor;
  const ingestorFirst = await measureIngestorDrain('ingestor', running, broker, sql, backlog, expected);
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

  // 2b. The ingestor again, a process of its own on a broker and a database of its own, while the
  // first ingestor idles; then (2c) the baseline again on that database, emptied, and a fresh
  // broker. The order baseline, ingestor, ingestor, baseline centres both pipelines' two drains on
  // the same moment, so a drift of the shared machine over the run moves both means alike, and
  // one slow spell weighs half in either figure (tuning items 18 and 25).
  phaseLoads.ingestorAgain = loads();
  secondBroker = await startMosquitto({ maxInflightMessages: 100 });
  await deployDatabase(secondDbUrl);
  await registerFleet(secondDbUrl, fleet.tokens);
  secondSql = new pg.Pool({ connectionString: secondDbUrl, max: 2 });
  secondIngestor = await startIngestor(secondDbUrl, secondBroker);
  const ingestorSecond = await measureIngestorDrain(
    'ingestor again',
    secondIngestor,
    secondBroker,
    secondSql,
    backlog,
    expected,
  );
  await stopIngestor(secondIngestor);
  secondIngestor = undefined;
  await secondBroker.stop();
  secondBroker = undefined;
  // Rows, spans, batch stats and RSS are the first drain's (the ingestor the later phases use);
  // both drains are in `runs`.
  const ingestorResult = {
    ...ingestorFirst,
    readingsPerSecond: mean([ingestorFirst.readingsPerSecond, ingestorSecond.readingsPerSecond]),
    cpuMsPer1000: mean([ingestorFirst.cpuMsPer1000, ingestorSecond.cpuMsPer1000]),
    // Over both drains: each must store every distinct reading exactly once.
    lost: ingestorFirst.lost + ingestorSecond.lost,
    duplicated: ingestorFirst.duplicated + ingestorSecond.duplicated,
    runs: [ingestorFirst, ingestorSecond],
  };
  log(`ingestor: mean ${ingestorResult.readingsPerSecond.toFixed(0)} readings/s`);

  // 2c. The baseline again. A fresh broker: no session of the second ingestor is in the way.
  phaseLoads.baselineAfter = loads();
  await resetReadings(secondSql);
  secondBroker = await startMosquitto({ maxInflightMessages: 100 });
  const baselineAfter = await measureBaseline(
    'baseline again',
    secondBroker,
    secondDbUrl,
    secondSql,
    backlog,
    expected,
  );
  await secondSql.end();
  secondSql = undefined;
  await secondBroker.stop();
  secondBroker = undefined;
  // Nothing after this reads it: dropped now rather than left in the cluster for the ingestor's
  // remaining phases.
  await withAdmin(
    (client) => client.query(`DROP DATABASE IF EXISTS ${secondDbName} WITH (FORCE)`),
    ADMIN_URL,
  );
  const baselineResult = {
    readingsPerSecond: mean([baselineBefore.readingsPerSecond, baselineAfter.readingsPerSecond]),
    cpuMsPer1000: mean([baselineBefore.cpuMsPer1000, baselineAfter.cpuMsPer1000]),
    runs: [baselineBefore, baselineAfter],
  };
  log(`baseline: mean ${baselineResult.readingsPerSecond.toFixed(0)} readings/s`);

  // Rates in messages per second for the live phases, from the backlog's readings per message.
  const readingsPerMessage = expected / backlog.length;
  const sustainedMessages = ingestorResult.readingsPerSecond / readingsPerMessage;

  // 3. Latency at half the sustained rate.
  phaseLoads.latency = loads();
  const beforeLatency = await batchSnapshot(running);
  const latencyRun = await measureLatency(
    fleet,
    broker,
    sql,
    ids,
    Math.max(1, Math.round(sustainedMessages / 2)),
    latencySeconds,
    latencyWarmupSeconds,
  );
  const latency = { ...latencyRun, ...batchStats(beforeLatency, await batchSnapshot(running)) };
  log(
    `latency: p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms (${latency.seen}/${latency.probes} probes); ` +
      `warm-up p99 ${latency.warmup.p99.toFixed(1)} ms`,
  );
  // The same at a quarter: where the knee is when the load generator shares the cores.
  const beforeQuarter = await batchSnapshot(running);
  const quarterRun = await measureLatency(
    fleet,
    broker,
    sql,
    ids,
    Math.max(1, Math.round(sustainedMessages / 4)),
    latencySeconds,
    latencyWarmupSeconds,
  );
  const latencyQuarter = { ...quarterRun, ...batchStats(beforeQuarter, await batchSnapshot(running)) };
  log(
    `latency at a quarter: p50 ${latencyQuarter.p50.toFixed(1)} ms, p99 ${latencyQuarter.p99.toFixed(1)} ms; ` +
      `warm-up p99 ${latencyQuarter.warmup.p99.toFixed(1)} ms`,
  );

  // 4. Memory at three times the sustained rate.
  phaseLoads.overload = loads();
  const overload = await measureOverload(
    fleet,
    broker,
    running,
    Math.round(sustainedMessages * 3),
    overloadSeconds,
  );
  log(
    `overload: peak RSS ${overload.peakRssMb.toFixed(0)} MB at ${overload.achievedRate.toFixed(0)} msg/s offered`,
  );
  await stopIngestor(running);
  ingestor = undefined;
  await broker.stop();
  broker = undefined;

  // 5. The two write paths alone, on the same batches: where the gap to the baseline comes from.
  phaseLoads.writeCeiling = loads();
  const writeCeiling = await measureWriteCeiling(
    dbUrl,
    sql,
    backlog,
    fleet.tokens,
    ids,
    Math.round(ingestorResult.meanReadingsPerBatch) || 1000,
  );
  log(
    `write ceiling: baseline statement ${writeCeiling.baselineStatementPerSecond.toFixed(0)}/s, ` +
      `ingestor storeBatch ${writeCeiling.ingestorStatementPerSecond.toFixed(0)}/s, ` +
      `readings only ${writeCeiling.readingsOnlyPerSecond.toFixed(0)}/s`,
  );

  // 6. The readings rollup over 30 days of minute data for one sensor.
  phaseLoads.rollup = loads();
  const series = await seedRollupSeries(sql);
  const { sql: sqlRollup, api: apiRollup } = await measureRollups(dbUrl, series, ROLLUP_RUNS, ingestorBuild);
  if (apiRollup && apiRollup.buckets !== sqlRollup.buckets) {
    // A timing of a different answer means nothing: fail loudly instead of printing it.
    throw new Error(
      `the API returned ${apiRollup.buckets} buckets where the SQL returned ${sqlRollup.buckets}`,
    );
  }
  log(
    `rollup: SQL p50 ${sqlRollup.p50.toFixed(1)} ms p95 ${sqlRollup.p95.toFixed(1)} ms; API ${apiRollup ? `p95 ${apiRollup.p95.toFixed(1)} ms` : 'n/a'}`,
  );

  // 7. The world map of 50,000 located kits that have published, warm, to the last byte.
  phaseLoads.worldMap = loads();
  const worldMap = await benchWorldMap(dbUrl, sql, WORLD_MAP_DEVICES);
  log(
    `world_map: ${worldMap.devices} devices, warm p50 ${worldMap.p50.toFixed(1)} ms p95 ${worldMap.p95.toFixed(1)} ms`,
  );

  const loadAfter = loads();
  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    loadAverage: { before: loadBefore, after: loadAfter, atPhaseStart: phaseLoads },
    traffic: {
      seed,
      devices,
      backlogMessages,
      distinctReadings: expected,
      readingsPerMessage,
      mix: 'raw:90,json:10',
      duplicates: backlog.filter((m) => m.duplicate).length,
      fromBacklogs: backlog.filter((m) => m.backlog).length,
      publishers: PUBLISHERS,
    },
    ingestorEnv: ingestorOverrides,
    batchRows,
    ingestorBuild,
    ingestorNodeArgs: flags['ingestor-node-arg'] ?? [],
    baseline: baselineResult,
    ingestor: {
      sensorPairs: pairRows[0],
      ...ingestorResult,
      rejections: Object.fromEntries(rejections.map((r) => [r.reason, Number(r.n)])),
    },
    latency,
    latencyQuarter,
    overload,
    writeCeiling,
    rollup: {
      series: { rows: series.rows, from: series.from, to: series.to },
      sql: sqlRollup,
      api: apiRollup,
    },
    worldMap,
  };
  const markdown = renderMarkdown(results);
  console.log(`\n${markdown}`);
  writeFileSync(join(ROOT, 'bench', 'results', `${flags.out}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(ROOT, 'bench', 'results', `${flags.out}.md`), markdown);
  log(`written to bench/results/${flags.out}.json and .md`);
} finally {
  if (baselineChild) await stopChild(baselineChild);
  if (ingestor) await stopIngestor(ingestor, 'SIGKILL');
  if (secondIngestor) await stopIngestor(secondIngestor, 'SIGKILL');
  await broker?.stop();
  await secondBroker?.stop();
  await sql?.end();
  await secondSql?.end();
  await withAdmin(async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await client.query(`DROP DATABASE IF EXISTS ${secondDbName} WITH (FORCE)`);
  }, ADMIN_URL);
}

function renderMarkdown(r: {
  startedAt: string;
  quick: boolean;
  machine: { cpus: number; cpuModel: string; memoryGb: number; node: string };
  loadAverage: { before: number[]; after: number[] };
  traffic: {
    devices: number;
    backlogMessages: number;
    distinctReadings: number;
    readingsPerMessage: number;
    seed: number;
  };
  ingestorEnv: Record<string, string>;
  batchRows: number;
  ingestorBuild: string;
  ingestorNodeArgs: string[];
  baseline: { readingsPerSecond: number; cpuMsPer1000: number; runs: BaselineRun[] };
  ingestor: Throughput & {
    rssIdleMb: number;
    meanBatchMs: number;
    meanReadingsPerBatch: number;
    runs: Throughput[];
  };
  latency: LatencyResult;
  latencyQuarter: LatencyResult;
  overload: OverloadResult;
  writeCeiling: WriteCeiling;
  rollup: { sql: RollupTiming; api: RollupTiming | null };
  worldMap: WorldMapTiming;
}): string {
  const n = (v: number, digits = 0) =>
    Number.isFinite(v)
      ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
      : 'n/a';
  const mark = (ok: boolean) => (ok ? 'yes' : '**no**');
  const warmupText = (l: LatencyResult) => `${l.warmup.seconds} s of warm-up at that rate, not timed`;
  // Every probe, warm-up included, must reach the table: a missing one is a lost reading.
  const allSeen = (l: LatencyResult) => l.seen === l.probes && l.warmup.seen === l.warmup.probes;
  const share = percentOf(r.ingestor.readingsPerSecond, r.baseline.readingsPerSecond);
  const api = r.rollup.api;
  const rows: [string, string, string, string][] = [
    [
      'baseline sustained (pg, auto-ack, no validation)',
      `${n(r.baseline.readingsPerSecond)} readings/s, the mean of ` +
        `${r.baseline.runs.map((b) => n(b.readingsPerSecond)).join(' and ')} (drains 1 and 4 of 4); ` +
        `CPU ${n(r.baseline.cpuMsPer1000, 2)} ms per 1,000 readings`,
      '—',
      '—',
    ],
    [
      'ingestor sustained',
      `${n(r.ingestor.readingsPerSecond)} readings/s, the mean of ` +
        `${r.ingestor.runs.map((i) => n(i.readingsPerSecond)).join(' and ')} (drains 2 and 3) = ${n(share)} % of baseline; ` +
        `CPU ${n(r.ingestor.cpuMsPer1000, 2)} ms per 1,000 readings (${r.ingestor.runs.map((i) => n(i.cpuMsPer1000, 2)).join(' and ')})`,
      '≥ 50,000/s and ≥ 60 %',
      mark(r.ingestor.readingsPerSecond >= 50_000 && share >= 60),
    ],
    [
      'ingestor rows lost / duplicated',
      `${n(r.ingestor.lost)} / ${n(r.ingestor.duplicated)} of ${r.ingestor.runs.length} × ${n(r.ingestor.expectedReadings)}`,
      '0 / 0',
      mark(r.ingestor.lost === 0 && r.ingestor.duplicated === 0),
    ],
    [
      `publish → committed at half rate (${n(r.latency.achievedRate)} msg/s), after ${warmupText(r.latency)}`,
      `p50 ${n(r.latency.p50, 1)} ms, p99 ${n(r.latency.p99, 1)} ms (${n(r.latency.seen)}/${n(r.latency.probes)} probes, ` +
        `polled every ~${n(r.latency.pollMs + 5, 0)} ms); warm-up p99 ${n(r.latency.warmup.p99, 1)} ms, ` +
        `max ${n(r.latency.warmup.max, 1)} ms (${n(r.latency.warmup.seen)}/${n(r.latency.warmup.probes)} probes)`,
      'p99 ≤ 250 ms',
      mark(r.latency.p99 <= 250 && allSeen(r.latency)),
    ],
    [
      `the same at a quarter of the sustained rate (${n(r.latencyQuarter.achievedRate)} msg/s), after ${warmupText(r.latencyQuarter)}`,
      `p50 ${n(r.latencyQuarter.p50, 1)} ms, p99 ${n(r.latencyQuarter.p99, 1)} ms ` +
        `(${n(r.latencyQuarter.seen)}/${n(r.latencyQuarter.probes)} probes); warm-up p99 ${n(r.latencyQuarter.warmup.p99, 1)} ms`,
      '—',
      '—',
    ],
    [
      `peak RSS at 3× for ${r.overload.seconds} s (${n(r.overload.achievedRate)} msg/s offered)`,
      `${n(r.overload.peakRssMb)} MB sampled, VmHWM ${n(r.overload.hwmMb)} MB (idle ${n(r.ingestor.rssIdleMb)} MB; ` +
        `${n(r.overload.storedPerSecond)} readings/s stored meanwhile)`,
      '≤ 300 MB',
      mark(r.overload.hwmMb <= 300),
    ],
    [
      `write path alone, same batches (${n(r.writeCeiling.readingsPerBatch)} readings, ${r.writeCeiling.concurrency} at a time)`,
      `baseline INSERT (pg) ${n(r.writeCeiling.baselineStatementPerSecond)}/s; ingestor storeBatch (pg pool behind Prisma, + sensor pairs, device times) ` +
        `${n(r.writeCeiling.ingestorStatementPerSecond)}/s = ${n(percentOf(r.writeCeiling.ingestorStatementPerSecond, r.writeCeiling.baselineStatementPerSecond))} %; ` +
        `its readings INSERT alone (same pool) ${n(r.writeCeiling.readingsOnlyPerSecond)}/s`,
      '—',
      '—',
    ],
    [
      'rollup 30 d × 1440 min → 1 h avg, direct SQL',
      `p50 ${n(r.rollup.sql.p50, 1)} ms, p95 ${n(r.rollup.sql.p95, 1)} ms`,
      'p95 ≤ 50 ms',
      mark(r.rollup.sql.p95 <= 50),
    ],
    [
      'rollup through GET /v0/devices/:id/readings',
      api
        ? `p50 ${n(api.p50, 1)} ms, p95 ${n(api.p95, 1)} ms (${n(api.p95 / r.rollup.sql.p95, 2)}× SQL)`
        : 'n/a (API not available)',
      'p95 ≤ 50 ms, ≤ 1.5× SQL',
      api ? mark(api.p95 <= 50 && api.p95 <= 1.5 * r.rollup.sql.p95) : 'n/a',
    ],
    [
      `GET /v0/devices/world_map, ${n(r.worldMap.devices)} devices, warm, gzip, to the last byte`,
      `p50 ${n(r.worldMap.p50, 1)} ms, p95 ${n(r.worldMap.p95, 1)} ms (${n(r.worldMap.bytes / 1e6, 1)} MB JSON, ${n(r.worldMap.wireBytes / 1e6, 1)} MB sent; first request ${n(r.worldMap.coldMs)} ms)`,
      'p95 ≤ 100 ms',
      mark(r.worldMap.p95 <= 100),
    ],
  ];
  const env = Object.entries(r.ingestorEnv);
  return [
    `### Benchmark ${r.quick ? '(quick) ' : ''}${r.startedAt}`,
    '',
    `${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGb} GB, Node ${r.machine.node}. ` +
      `Load average (1/5/15 min) before ${r.loadAverage.before.join(' / ')}, after ${r.loadAverage.after.join(' / ')}.`,
    `Traffic: ${n(r.traffic.devices)} kits, seed ${r.traffic.seed}, backlog of ${n(r.traffic.backlogMessages)} messages = ` +
      `${n(r.traffic.distinctReadings)} distinct readings (${n(r.traffic.readingsPerMessage, 2)} per message).` +
      (env.length
        ? ` Ingestor overrides: ${env.map(([k, v]) => `${k}=${v}`).join(', ')}.`
        : ' Ingestor on its default settings.') +
      ` Ingestor run as ${r.ingestorBuild === 'dist' ? '`node dist/apps/ingestor/src/main.js` (npm run build)' : '`node --import @swc-node/register/esm-register apps/ingestor/src/main.ts`'}` +
      (r.ingestorNodeArgs.length ? ` with ${r.ingestorNodeArgs.map((a) => `\`${a}\``).join(' ')}` : '') +
      `; drain batches: ${n(r.ingestor.meanReadingsPerBatch)} readings in ${n(r.ingestor.meanBatchMs, 1)} ms on average. ` +
      `Both pipelines cut batches at ${n(r.batchRows)} readings. ` +
      `Baseline deadlocks retried: ${r.baseline.runs.map((b) => b.deadlocksRetried).join(' and ')}; ` +
      `baseline rows lost / duplicated: ${r.baseline.runs.map((b) => `${n(b.lost)} / ${n(b.duplicated)}`).join(' and ')}.` +
      ` API run as the ingestor (${r.ingestorBuild === 'dist' ? 'dist' : 'src'}), in a process of its own.`,
    '',
    '| measurement | result | target | met |',
    '|---|---|---|---|',
    ...rows.map((cells) => `| ${cells.join(' | ')} |`),
    '',
  ].join('\n');
}
