/**
 * The storage bench (docs/storage.md): bytes per reading hot and compacted on the simulator's
 * traffic, ingest throughput with and without the rollup upkeep, compaction's rate and the longest
 * pause it causes a writer, the late path, and a year of minute data rolled up by the day from the
 * rollup tables and from the rows. Run by `npm run bench -- --storage`; writes
 * bench/results/storage.json and storage.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { deployDatabase, IngestRepository, PrismaService } from '#db';
import { withAdmin } from '../tools/harness/env.js';
import { Fleet } from '../tools/simulator/fleet.js';
import {
  bytesPerReading,
  ensureMonths,
  HORIZON_DAYS,
  measureCompaction,
  measureLatePath,
  measureMaintenanceCost,
  rollUpEverything,
  seedYear,
  timeYear,
  trafficDays,
  writeBatches,
} from './storage.js';
import { registerFleet } from '../tools/simulator/traffic.js';

const DAY = 86_400_000;
const { values: args } = parseArgs({
  options: {
    storage: { type: 'boolean' },
    kits: { type: 'string', default: '200' },
    days: { type: 'string', default: '3' },
    seed: { type: 'string', default: '19' },
    runs: { type: 'string', default: '100' },
    out: { type: 'string', default: 'storage' },
  },
  strict: false,
});
const kits = Number(args.kits);
const days = Number(args.days);
const runs = Number(args.runs);
const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
const dbName = `sck_bench_storage_${randomBytes(4).toString('hex')}`;
const url = new URL(adminUrl);
url.pathname = `/${dbName}`;
const dbUrl = url.toString();
const log = (text: string) => console.log(`[storage ${new Date().toISOString().slice(11, 19)}] ${text}`);

await deployDatabase(dbUrl);
const sql = new pg.Pool({ connectionString: dbUrl, max: 3 });
const prisma = new PrismaService({ url: dbUrl, poolSize: 3 });
const ingest = new IngestRepository(prisma);
ingest.useCompactionHorizon(HORIZON_DAYS);
try {
  // The simulator's kits, live from 100 days ago (backlogs reach 30 days further back).
  const start = Date.now() - 100 * DAY;
  await ensureMonths(sql, new Date(start - 32 * DAY), new Date(start + (days + 1) * DAY));
  const fleet = new Fleet({
    devices: kits,
    seed: Number(args.seed),
    mix: { raw: 0.9, json: 0.1 },
    startAt: start,
  });
  const ids = await registerFleet(dbUrl, fleet.tokens);
  log(`${kits} kits, ${days} days of traffic`);
  const traffic = trafficDays(fleet, ids, kits, start, days, 5000);

  const maintenance = await measureMaintenanceCost(sql, prisma, traffic[0]);
  log(
    `ingest ${Math.round(maintenance.withoutPerSecond)}/s without upkeep, ${Math.round(maintenance.withPerSecond)}/s with`,
  );

  for (const day of traffic) await writeBatches(ingest, day);
  await rollUpEverything(sql);
  const hot = await bytesPerReading(sql);
  log(`hot: ${hot.raw} readings, ${hot.rawBytesPerReading?.toFixed(1)} B each`);

  const year = await seedYear(sql);
  const yearRaw = await timeYear(sql, year, runs);
  log(
    `year rollup=1d p95: tables ${yearRaw.tables.p95.toFixed(2)} ms, rows ${yearRaw.raw.p95.toFixed(2)} ms`,
  );

  const writerDevice = [...ids.values()][0];
  const compaction = await measureCompaction(prisma, ingest, writerDevice);
  log(
    `compaction: ${compaction.readings} readings in ${Math.round(compaction.ms)} ms, writer max ${compaction.writerMaxDuringMs.toFixed(1)} ms`,
  );
  const compacted = await bytesPerReading(sql);
  log(`compacted: ${compacted.compacted} readings, ${compacted.compactedBytesPerReading?.toFixed(1)} B each`);
  const yearCompacted = await timeYear(sql, year, runs);
  const late = await measureLatePath(sql, ingest);

  const result = {
    startedAt: new Date().toISOString(),
    kits,
    days,
    maintenance,
    hot,
    compaction,
    compacted,
    year: { raw: yearRaw, compacted: yearCompacted },
    late,
  };
  const dir = join(import.meta.dirname, 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${args.out}.json`), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(join(dir, `${args.out}.md`), markdown(result));
  console.log(markdown(result));
} finally {
  await prisma.onModuleDestroy();
  await sql.end();
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`), adminUrl);
}

function markdown(r: {
  kits: number;
  days: number;
  maintenance: Awaited<ReturnType<typeof measureMaintenanceCost>>;
  hot: Awaited<ReturnType<typeof bytesPerReading>>;
  compaction: Awaited<ReturnType<typeof measureCompaction>>;
  compacted: Awaited<ReturnType<typeof bytesPerReading>>;
  year: { raw: Awaited<ReturnType<typeof timeYear>>; compacted: Awaited<ReturnType<typeof timeYear>> };
  late: Awaited<ReturnType<typeof measureLatePath>>;
}): string {
  const f = (n: number | null, digits = 1) => (n === null ? 'n/a' : n.toFixed(digits));
  const share = (100 * r.maintenance.withPerSecond) / r.maintenance.withoutPerSecond;
  return [
    `Storage bench: ${r.kits} kits × ${r.days} days of the simulator's traffic`,
    '',
    '| measure | value |',
    '| --- | --- |',
    `| bytes per reading, hot (partitions + PK index) | ${f(r.hot.rawBytesPerReading)} (${r.hot.raw} readings) |`,
    `| bytes per reading, compacted (table + TOAST + PK) | ${f(r.compacted.compactedBytesPerReading)} (${r.compacted.compacted} readings) |`,
    `| hourly rollups, bytes per reading | ${f(r.hot.hourlyBytesPerReading)} |`,
    `| ingest (storeBatch ×2) without / with rollup upkeep | ${Math.round(r.maintenance.withoutPerSecond)} / ${Math.round(r.maintenance.withPerSecond)} readings/s (${share.toFixed(1)} %) |`,
    `| year, rollup=1d avg, p50 / p95: tables | ${f(r.year.raw.tables.p50, 2)} / ${f(r.year.raw.tables.p95, 2)} ms (${r.year.raw.buckets} buckets) |`,
    `| year, rollup=1d avg, p50 / p95: rows | ${f(r.year.raw.raw.p50, 2)} / ${f(r.year.raw.raw.p95, 2)} ms |`,
    `| same after compaction: tables / rows p95 | ${f(r.year.compacted.tables.p95, 2)} / ${f(r.year.compacted.raw.p95, 2)} ms |`,
    `| compaction | ${r.compaction.readings} readings in ${Math.round(r.compaction.ms)} ms (${Math.round(r.compaction.perSecond)}/s), longest chunk lock ${r.compaction.longestLockMs} ms |`,
    `| writer beside compaction: p50 before / max during | ${f(r.compaction.writerP50BeforeMs)} / ${f(r.compaction.writerMaxDuringMs)} ms (${r.compaction.writerBatchesDuring} batches) |`,
    `| late path (compacted days, half redelivered) | ${Math.round(r.late.perSecond)} readings/s; ${r.late.storedRaw} stored raw of ${r.late.expectedRaw} new |`,
    '',
  ].join('\n');
}
