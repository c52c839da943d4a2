import { appendFileSync } from 'node:fs';
import type pg from 'pg';
import type { TestBroker } from '../../tools/harness/mosquitto.js';
import type { Fleet } from '../../tools/simulator/fleet.js';
import { FleetPublisher } from '../../tools/simulator/publisher.js';
import { perSecond } from '../../tools/simulator/rate.js';
import { publishPaced } from '../../tools/simulator/traffic.js';
import { type BenchContext, startPhase } from '../context.js';
import { batchSnapshot, type BatchStats, batchStats } from '../drain.js';
import { type BenchIngestor, log, sleep } from '../processes.js';
import { percentile } from '../stats.js';
import type { Target } from '../target.js';

/** Every PROBE_EVERY-th kit's readings are timed. */
const PROBE_EVERY = 25;

export interface LatencyResult {
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
async function measureLatency(
  fleet: Fleet,
  broker: TestBroker,
  sql: pg.Pool,
  ids: Map<string, number>,
  rate: number,
  seconds: number,
  warmupSeconds: number,
  samplesFile: string | undefined,
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
  if (samplesFile) appendFileSync(samplesFile, samples.map((line) => `${line}\n`).join(''));
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

export type LatencyRun = LatencyResult & BatchStats;

/**
 * Publish → committed latency at half the sustained rate, then at a quarter: where the knee is
 * when the load generator shares the cores. `sustainedMessages` is in messages per second.
 */
export async function measureLatencies(
  context: BenchContext,
  fleet: Fleet,
  main: Target,
  ids: Map<string, number>,
  running: BenchIngestor,
  sustainedMessages: number,
): Promise<{ latency: LatencyRun; latencyQuarter: LatencyRun }> {
  const { latencySeconds, latencyWarmupSeconds, latencySamplesFile } = context.options;
  const at = async (divisor: number) => {
    const before = await batchSnapshot(running);
    const rate = Math.max(1, Math.round(sustainedMessages / divisor));
    const run = await measureLatency(
      fleet,
      main.broker,
      main.sql,
      ids,
      rate,
      latencySeconds,
      latencyWarmupSeconds,
      latencySamplesFile,
    );
    return { ...run, ...batchStats(before, await batchSnapshot(running)) };
  };
  startPhase(context, 'latency');
  const latency = await at(2);
  log(
    `latency: p50 ${latency.p50.toFixed(1)} ms, p99 ${latency.p99.toFixed(1)} ms (${latency.seen}/${latency.probes} probes); ` +
      `warm-up p99 ${latency.warmup.p99.toFixed(1)} ms`,
  );
  const latencyQuarter = await at(4);
  log(
    `latency at a quarter: p50 ${latencyQuarter.p50.toFixed(1)} ms, p99 ${latencyQuarter.p99.toFixed(1)} ms; ` +
      `warm-up p99 ${latencyQuarter.warmup.p99.toFixed(1)} ms`,
  );
  return { latency, latencyQuarter };
}
