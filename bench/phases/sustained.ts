import type { Fleet } from '../../tools/simulator/fleet.js';
import { registerFleet } from '../../tools/simulator/traffic.js';
import { type BenchContext, startPhase } from '../context.js';
import type { Backlog } from '../drain.js';
import { type BenchIngestor, log, startBenchIngestor } from '../processes.js';
import { mean } from '../stats.js';
import { freshBroker, openTarget, resetReadings, type Target } from '../target.js';
import { type BaselineRun, measureBaseline } from './baseline.js';
import { type IngestorRun, measureIngestorDrain, type StoredShape, storedShape } from './ingestor.js';

export interface SustainedResult {
  baseline: { readingsPerSecond: number; cpuMsPer1000: number; runs: BaselineRun[] };
  /**
   * Rows, spans, batch stats and RSS are the first drain's (the ingestor the later phases use);
   * rate and CPU are the means of both drains, losses and duplicates their sums; both drains are
   * in `runs`.
   */
  ingestor: IngestorRun & { runs: IngestorRun[] };
  /**
   * Two drains between the ingestor's two, each by an ingestor with its live outputs off
   * (LIVE_ENABLED=false) on a broker and database of its own: what the firehose and forwards cost
   * the ingest path, in the same run. Rate and CPU are the means of both.
   */
  liveOff: IngestorRun & { runs: IngestorRun[] };
  shape: StoredShape;
  /** The first drain's ingestor, still running on the main target. */
  running: BenchIngestor;
}

/**
 * The sustained rates. Baseline and ingestor drain the backlog twice each, in the order baseline,
 * ingestor, ingestor again, baseline again, and the ingestor's share is of the means: the load of a
 * shared machine drifts over a run, and one drain on either side would carry all of a slow spell
 * into the ratio. This order centres both pipelines' two drains on the same moment, so a drift
 * moves both means alike and one slow spell weighs half in either figure. Ingestors with their
 * live outputs off drain twice between the ingestor's two, centred on the same moment.
 */
export async function measureSustained(
  context: BenchContext,
  main: Target,
  fleet: Fleet,
  backlog: Backlog,
): Promise<SustainedResult> {
  const { options, cleanup, batchRows } = context;
  startPhase(context, 'baseline');
  const baselineBefore = await measureBaseline('baseline', main, backlog, batchRows);
  await resetReadings(main.sql);

  // The ingestor as shipped, draining the same backlog.
  startPhase(context, 'ingestor');
  const running = await startBenchIngestor(options, cleanup, main.databaseUrl, main.broker);
  const ingestorFirst = await measureIngestorDrain('ingestor', running, main, backlog);
  const shape = await storedShape(main.sql);

  // Twice the ingestor with its live outputs off, each on a broker and a database of their own.
  startPhase(context, 'liveOff');
  const offOptions = {
    ...options,
    ingestorOverrides: { ...options.ingestorOverrides, LIVE_ENABLED: 'false' },
  };
  const offRuns: IngestorRun[] = [];
  for (const k of [1, 2]) {
    const off = await openTarget(cleanup, options.adminUrl, `${main.databaseName}_off${k}`);
    await registerFleet(off.databaseUrl, fleet.tokens);
    const offIngestor = await startBenchIngestor(offOptions, cleanup, off.databaseUrl, off.broker);
    offRuns.push(await measureIngestorDrain(`ingestor, live outputs off (${k})`, offIngestor, off, backlog));
    await offIngestor.stop();
    await off.stopBroker();
    await off.drop();
  }
  const liveOff = {
    ...offRuns[0],
    readingsPerSecond: mean(offRuns.map((r) => r.readingsPerSecond)),
    cpuMsPer1000: mean(offRuns.map((r) => r.cpuMsPer1000)),
    lost: offRuns[0].lost + offRuns[1].lost,
    duplicated: offRuns[0].duplicated + offRuns[1].duplicated,
    runs: offRuns,
  };

  // The ingestor again, a process of its own on a broker and a database of their own, while the
  // first ingestor idles.
  startPhase(context, 'ingestorAgain');
  const second = await openTarget(cleanup, options.adminUrl, `${main.databaseName}_b`);
  await registerFleet(second.databaseUrl, fleet.tokens);
  const secondIngestor = await startBenchIngestor(options, cleanup, second.databaseUrl, second.broker);
  const ingestorSecond = await measureIngestorDrain('ingestor again', secondIngestor, second, backlog);
  await secondIngestor.stop();
  await second.stopBroker();
  const ingestor = {
    ...ingestorFirst,
    readingsPerSecond: mean([ingestorFirst.readingsPerSecond, ingestorSecond.readingsPerSecond]),
    cpuMsPer1000: mean([ingestorFirst.cpuMsPer1000, ingestorSecond.cpuMsPer1000]),
    // Over both drains: each must store every distinct reading exactly once.
    lost: ingestorFirst.lost + ingestorSecond.lost,
    duplicated: ingestorFirst.duplicated + ingestorSecond.duplicated,
    runs: [ingestorFirst, ingestorSecond],
  };
  log(`ingestor: mean ${ingestor.readingsPerSecond.toFixed(0)} readings/s`);

  // The baseline again on that database, emptied, and a fresh broker: no session of the second
  // ingestor is in the way.
  startPhase(context, 'baselineAfter');
  await resetReadings(second.sql);
  await freshBroker(cleanup, second);
  const baselineAfter = await measureBaseline('baseline again', second, backlog, batchRows);
  await second.stopBroker();
  // Nothing after this reads it: dropped now rather than left in the cluster for the remaining phases.
  await second.drop();
  const baseline = {
    readingsPerSecond: mean([baselineBefore.readingsPerSecond, baselineAfter.readingsPerSecond]),
    cpuMsPer1000: mean([baselineBefore.cpuMsPer1000, baselineAfter.cpuMsPer1000]),
    runs: [baselineBefore, baselineAfter],
  };
  log(`baseline: mean ${baseline.readingsPerSecond.toFixed(0)} readings/s`);
  return { baseline, ingestor, liveOff, shape, running };
}
