import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { StoredShape } from './phases/ingestor.js';
import type { LatencyResult, LatencyRun } from './phases/latency.js';
import type { OverloadResult } from './phases/overload.js';
import type { RollupResult } from './phases/rollup.js';
import type { SustainedResult } from './phases/sustained.js';
import type { WorldMapTiming } from './phases/world-map.js';
import type { WriteCeiling } from './phases/write-ceiling.js';
import type { BenchContext } from './context.js';
import { type Backlog, PUBLISHERS } from './drain.js';
import { type LoadAverage, log, loads } from './processes.js';
import type { LiveBenchResult } from './live.js';
import { percentOf } from './stats.js';

const RESULTS = join(import.meta.dirname, 'results');

/** What the phases measured, as the run hands it to the report. */
export interface Measured {
  startedAt: Date;
  loadBefore: LoadAverage;
  backlog: Backlog;
  sustained: SustainedResult;
  latency: LatencyRun;
  latencyQuarter: LatencyRun;
  overload: OverloadResult;
  live: LiveBenchResult;
  writeCeiling: WriteCeiling;
  rollup: RollupResult;
  worldMap: WorldMapTiming;
}

export type BenchResults = ReturnType<typeof collectResults>;

/** bench/results/<out>.json: every figure of the run, with the machine, its load and the traffic. */
export function collectResults(context: BenchContext, m: Measured) {
  const { options } = context;
  const loadAfter = loads();
  const { messages, expected } = m.backlog;
  const shape: StoredShape = m.sustained.shape;
  return {
    startedAt: m.startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    quick: options.quick,
    machine: {
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? '?',
      memoryGb: Math.round(totalmem() / 2 ** 30),
      node: process.version,
    },
    loadAverage: { before: m.loadBefore, after: loadAfter, atPhaseStart: context.phaseLoads },
    traffic: {
      seed: options.seed,
      devices: options.devices,
      backlogMessages: options.backlogMessages,
      distinctReadings: expected,
      readingsPerMessage: expected / messages.length,
      mix: 'raw:90,json:10',
      duplicates: messages.filter((msg) => msg.duplicate).length,
      fromBacklogs: messages.filter((msg) => msg.backlog).length,
      publishers: PUBLISHERS,
    },
    ingestorEnv: options.ingestorOverrides,
    batchRows: context.batchRows,
    ingestorBuild: options.ingestorBuild,
    ingestorNodeArgs: options.ingestorNodeArgs,
    baseline: m.sustained.baseline,
    liveOff: m.sustained.liveOff,
    ingestor: {
      sensorPairs: shape.pairs,
      ...m.sustained.ingestor,
      rejections: Object.fromEntries(shape.rejections.map((r) => [r.reason, Number(r.n)])),
    },
    latency: m.latency,
    latencyQuarter: m.latencyQuarter,
    overload: m.overload,
    live: m.live,
    writeCeiling: m.writeCeiling,
    rollup: {
      series: { rows: m.rollup.series.rows, from: m.rollup.series.from, to: m.rollup.series.to },
      sql: m.rollup.sql,
      api: m.rollup.api,
    },
    worldMap: m.worldMap,
  };
}

/** Prints the table and writes bench/results/<out>.json and <out>.md. */
export function writeReport(out: string, results: BenchResults): void {
  const markdown = renderMarkdown(results);
  console.log(`\n${markdown}`);
  writeFileSync(join(RESULTS, `${out}.json`), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS, `${out}.md`), markdown);
  log(`written to bench/results/${out}.json and .md`);
}

/** The run as the table bench/README.md quotes: one row per measurement, its target and whether it was met. */
export function renderMarkdown(r: BenchResults): string {
  const n = (v: number, digits = 0) =>
    Number.isFinite(v)
      ? v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits })
      : 'n/a';
  const mark = (ok: boolean) => (ok ? 'yes' : '**no**');
  const warmupText = (l: LatencyResult) => `${l.warmup.seconds} s of warm-up at that rate, not timed`;
  // Every probe, warm-up included, must reach the table: a missing one is a lost reading.
  const allSeen = (l: LatencyResult) => l.seen === l.probes && l.warmup.seen === l.warmup.probes;
  const share = percentOf(r.ingestor.readingsPerSecond, r.baseline.readingsPerSecond);
  const liveShare = percentOf(r.ingestor.readingsPerSecond, r.liveOff.readingsPerSecond);
  const api = r.rollup.api;
  const rows: [string, string, string, string][] = [
    [
      'baseline sustained (pg, auto-ack, no validation)',
      `${n(r.baseline.readingsPerSecond)} readings/s, the mean of ` +
        `${r.baseline.runs.map((b) => n(b.readingsPerSecond)).join(' and ')} (drains 1 and 6 of 6); ` +
        `CPU ${n(r.baseline.cpuMsPer1000, 2)} ms per 1,000 readings`,
      '—',
      '—',
    ],
    [
      'ingestor sustained',
      `${n(r.ingestor.readingsPerSecond)} readings/s, the mean of ` +
        `${r.ingestor.runs.map((i) => n(i.readingsPerSecond)).join(' and ')} (drains 2 and 5) = ${n(share)} % of baseline; ` +
        `CPU ${n(r.ingestor.cpuMsPer1000, 2)} ms per 1,000 readings (${r.ingestor.runs.map((i) => n(i.cpuMsPer1000, 2)).join(' and ')})`,
      '≥ 50,000/s and ≥ 60 %',
      mark(r.ingestor.readingsPerSecond >= 50_000 && share >= 60),
    ],
    [
      'ingestor with live outputs off (LIVE_ENABLED=false), drains 3 and 4 of 6',
      `${n(r.liveOff.readingsPerSecond)} readings/s, the mean of ${r.liveOff.runs.map((i) => n(i.readingsPerSecond)).join(' and ')}; ` +
        `live outputs on (drains 2 and 5) = ${n(liveShare)} % of it; ` +
        `CPU ${n(r.liveOff.cpuMsPer1000, 2)} ms per 1,000 readings (${r.liveOff.runs.map((i) => n(i.cpuMsPer1000, 2)).join(' and ')})`,
      'on ≥ 90 % of off',
      mark(liveShare >= 90),
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
      `commit → firehose subscriber at half rate (${n(r.live.rate)} msg/s), ${n(r.live.subscribers)} subscribers (${r.live.wildcard} on sck/v1/#)`,
      `p50 ${n(r.live.latencyMs.p50)} ms, p99 ${n(r.live.latencyMs.p99)} ms, max ${n(r.live.latencyMs.max)} ms over ${r.live.seconds} s; ` +
        `${n(r.live.firehoseReadings)} of ${n(r.live.stored)} stored readings on sck/v1/#, ${n(r.live.firehoseDuplicates)} twice`,
      'p99 ≤ 1,000 ms, each reading once',
      mark(
        r.live.latencyMs.p99 <= 1000 &&
          r.live.firehoseReadings === r.live.stored &&
          r.live.firehoseDuplicates === 0,
      ),
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
      ` Ingestor run as ${r.ingestorBuild === 'dist' ? '`node dist/apps/ingestor/src/main.js` (npm run build)' : '`node --conditions=source --import @swc-node/register/esm-register apps/ingestor/src/main.ts`'}` +
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
