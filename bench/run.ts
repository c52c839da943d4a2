import { randomBytes } from 'node:crypto';
import { loadIngestorConfig } from '#config';
import { Fleet } from '../tools/simulator/fleet.js';
import { registerFleet } from '../tools/simulator/traffic.js';
import { CleanupStack } from './cleanup.js';
import type { BenchContext } from './context.js';
import type { Backlog } from './drain.js';
import { readOptions } from './options.js';
import { measureLatencies } from './phases/latency.js';
import { livePhase, liveRunOptions } from './phases/live.js';
import { measureOverload } from './phases/overload.js';
import { rollupPhase } from './phases/rollup.js';
import { measureSustained } from './phases/sustained.js';
import { worldMapPhase } from './phases/world-map.js';
import { writeCeilingPhase } from './phases/write-ceiling.js';
import { log, loads } from './processes.js';
import { collectResults, writeReport } from './report.js';
import { openTarget } from './target.js';

/**
 * `npm run bench`: the sustained rates of a minimal baseline and of the ingestor on the same
 * backlog, then, on the ingestor still running, publish → committed latency and memory under
 * overload, then the write path alone, the readings rollup and the world map. Every phase is a
 * module of bench/phases; the report is bench/report.ts.
 */

// `--storage`: the storage bench alone (bench/storage-run.ts, its own flags and database).
if (process.argv.includes('--storage')) {
  await import('./storage-run.js');
  process.exit(0);
}

const options = readOptions();
if (options.live) {
  const { runLiveBench } = await import('./live.js');
  await runLiveBench({ ...liveRunOptions(options), ...options.live });
  process.exit(0);
}

const context: BenchContext = {
  options,
  cleanup: new CleanupStack(),
  batchRows: loadIngestorConfig(options.ingestorOverrides).BATCH_MAX_ROWS,
  phaseLoads: {},
};
const loadBefore = loads();
const startedAt = new Date();
log(
  `bench ${options.quick ? '(quick) ' : ''}seed ${options.seed}, ${options.devices} kits, ` +
    `backlog ${options.backlogMessages} messages; load ${loadBefore.join(' ')}`,
);
try {
  const main = await openTarget(
    context.cleanup,
    options.adminUrl,
    `sck_bench_${randomBytes(4).toString('hex')}`,
  );
  const fleet = new Fleet({ devices: options.devices, seed: options.seed, mix: { raw: 0.9, json: 0.1 } });
  const ids = await registerFleet(main.databaseUrl, fleet.tokens);
  const messages = Array.from({ length: options.backlogMessages }, () => fleet.next());
  const backlog: Backlog = { messages, expected: messages.reduce((sum, m) => sum + m.newReadings, 0) };
  log(
    `broker on ${main.broker.port}, database ${main.databaseName}; ` +
      `backlog holds ${backlog.expected} distinct readings`,
  );

  const sustained = await measureSustained(context, main, fleet, backlog);
  // Rates in messages per second for the live phases, from the backlog's readings per message.
  const sustainedMessages =
    sustained.ingestor.readingsPerSecond / (backlog.expected / backlog.messages.length);
  const { latency, latencyQuarter } = await measureLatencies(
    context,
    fleet,
    main,
    ids,
    sustained.running,
    sustainedMessages,
  );
  const overload = await measureOverload(context, fleet, main, sustained.running, sustainedMessages);
  await sustained.running.stop();
  await main.stopBroker();
  // The firehose at half the sustained rate, on an ingestor, broker and database of its own.
  const live = await livePhase(context, sustainedMessages / 2);

  const writeCeiling = await writeCeilingPhase(
    context,
    main,
    fleet,
    backlog,
    ids,
    sustained.ingestor.meanReadingsPerBatch,
  );
  const rollup = await rollupPhase(context, main);
  const worldMap = await worldMapPhase(context, main);

  const results = collectResults(context, {
    startedAt,
    loadBefore,
    backlog,
    sustained,
    latency,
    latencyQuarter,
    overload,
    live,
    writeCeiling,
    rollup,
    worldMap,
  });
  writeReport(options.out, results);
} finally {
  await context.cleanup.close(log);
}
