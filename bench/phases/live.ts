import { type BenchContext, startPhase } from '../context.js';
import { type LiveBenchOptions, type LiveBenchResult, runLiveBench } from '../live.js';
import type { BenchOptions } from '../options.js';

/** Subscribers on the firehose during the live phase: the 1,000, one of them on sck/v1/#. */
export const LIVE_SUBSCRIBERS = 1000;

/** What every live run takes from the bench's options: traffic, ingestor build and settings. */
export function liveRunOptions(options: BenchOptions) {
  return {
    adminUrl: options.adminUrl,
    devices: options.devices,
    seed: options.seed,
    warmupSeconds: options.latencyWarmupSeconds,
    ingestorEnv: options.ingestorOverrides,
    ingestorBuild: options.ingestorBuild,
    ingestorNodeArgs: options.ingestorNodeArgs,
    ingestorLogFile: options.ingestorLogFile,
    out: options.out,
  } satisfies Partial<LiveBenchOptions>;
}

/**
 * Commit → subscriber latency of the firehose at `rate` messages per second (half the sustained
 * rate), with LIVE_SUBSCRIBERS connected: bench/live.ts on an ingestor of the run's build and
 * settings.
 */
export async function livePhase(context: BenchContext, rate: number): Promise<LiveBenchResult> {
  startPhase(context, 'live');
  return runLiveBench({
    ...liveRunOptions(context.options),
    rate: Math.round(rate),
    seconds: context.options.quick ? 10 : 30,
    subscribers: LIVE_SUBSCRIBERS,
    wildcard: 1,
  });
}
