import { type BenchContext, startPhase } from '../context.js';
import { type LiveBenchResult, runLiveBench } from '../live.js';

/** Subscribers on the firehose during the live phase: the 1,000, one of them on sck/v1/#. */
export const LIVE_SUBSCRIBERS = 1000;

/**
 * Commit → subscriber latency of the firehose at `rate` messages per second (half the sustained
 * rate), with LIVE_SUBSCRIBERS connected: bench/live.ts on an ingestor of the run's build and
 * settings.
 */
export async function livePhase(context: BenchContext, rate: number): Promise<LiveBenchResult> {
  const { options } = context;
  startPhase(context, 'live');
  return runLiveBench({
    adminUrl: options.adminUrl,
    devices: options.devices,
    seed: options.seed,
    rate: Math.round(rate),
    seconds: options.quick ? 10 : 30,
    warmupSeconds: options.latencyWarmupSeconds,
    subscribers: LIVE_SUBSCRIBERS,
    wildcard: 1,
    ingestorEnv: options.ingestorOverrides,
    ingestorBuild: options.ingestorBuild,
    ingestorNodeArgs: options.ingestorNodeArgs,
    ingestorLogFile: options.ingestorLogFile,
    out: options.out,
  });
}
