import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const HELP = `npm run bench [-- --quick] [--seed 1] [--devices 2000] [--backlog <messages>]
                [--latency-seconds 30] [--latency-warmup-seconds 5] [--latency-samples <file>] [--ingestor-log <file>] [--overload-seconds 60] [--ingestor-env KEY=VALUE ...] [--out latest]
                [--ingestor-build src|dist] [--ingestor-node-arg=--cpu-prof ...]
Starts a private Mosquitto and a fresh database, then measures a minimal baseline pipeline and the
ingestor on the same traffic, each draining it twice, in the order baseline, ingestor, ingestor with
its live outputs off (twice), ingestor, baseline (the ingestor's share is of the means, and so is
live on against off). --ingestor-build also picks the API's build for the rollup phase.
Writes bench/results/<out>.json and <out>.md.
--live [--live-rate 500] [--live-seconds 30] [--live-subscribers 1000] [--live-wildcard 1]: only the
live firehose's commit → subscriber latency (bench/live.ts; the full run measures it at half the
sustained rate); writes bench/results/<out>-live.json.`;

export interface BenchOptions {
  quick: boolean;
  seed: number;
  devices: number;
  backlogMessages: number;
  latencySeconds: number;
  /**
   * Live traffic at the latency phase's rate before its timed window. The ingestor has idled
   * through the second baseline, whose rows pushed the ingestor's pages out of Postgres's shared
   * buffers: its first batches take 3-6× as long as the same batches a second later. The warm-up's
   * probes are timed too, and reported on their own.
   */
  latencyWarmupSeconds: number;
  /** Where to write every probe as `<rate> <published at, epoch ms> <latency ms>`, to look at over time. */
  latencySamplesFile: string | undefined;
  /**
   * Where to write what each ingestor process printed (stdout and stderr), once it has stopped: with
   * `--ingestor-env LOG_LEVEL=debug` every batch's size and duration, with
   * `--ingestor-node-arg=--trace-gc` every collection.
   */
  ingestorLogFile: string | undefined;
  overloadSeconds: number;
  ingestorOverrides: Record<string, string>;
  ingestorNodeArgs: string[];
  ingestorBuild: 'src' | 'dist';
  out: string;
  /** `--live`: the live firehose bench alone, with these settings. */
  live: { rate: number; seconds: number; subscribers: number; wildcard: number } | null;
  /** The server the bench creates its databases on. */
  adminUrl: string;
}

/** The flags of `npm run bench`; prints the help and exits on --help. Empties the output files asked for. */
export function readOptions(argv = process.argv.slice(2)): BenchOptions {
  const { values: flags } = parseArgs({
    args: argv,
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
    console.log(HELP);
    process.exit(0);
  }
  const quick = flags.quick === true;
  const latencySamplesFile = flags['latency-samples'];
  if (latencySamplesFile) writeFileSync(latencySamplesFile, '');
  const ingestorLogFile = flags['ingestor-log'];
  if (ingestorLogFile) writeFileSync(ingestorLogFile, '');
  const ingestorOverrides = Object.fromEntries(
    (flags['ingestor-env'] ?? []).map((pair) => {
      const eq = pair.indexOf('=');
      if (eq < 1) throw new Error(`--ingestor-env ${pair}: expected KEY=VALUE`);
      return [pair.slice(0, eq), pair.slice(eq + 1)];
    }),
  );
  return {
    quick,
    seed: Number(flags.seed),
    devices: Number(flags.devices),
    backlogMessages: Number(flags.backlog ?? (quick ? 40_000 : 200_000)),
    latencySeconds: Number(flags['latency-seconds'] ?? (quick ? 10 : 30)),
    latencyWarmupSeconds: Number(flags['latency-warmup-seconds'] ?? 5),
    latencySamplesFile,
    ingestorLogFile,
    overloadSeconds: Number(flags['overload-seconds'] ?? (quick ? 15 : 60)),
    ingestorOverrides,
    ingestorNodeArgs: flags['ingestor-node-arg'] ?? [],
    ingestorBuild: flags['ingestor-build'] === 'dist' ? 'dist' : 'src',
    out: flags.out,
    live: flags.live
      ? {
          rate: Number(flags['live-rate']),
          seconds: Number(flags['live-seconds']),
          subscribers: Number(flags['live-subscribers']),
          wildcard: Number(flags['live-wildcard']),
        }
      : null,
    adminUrl: process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  };
}
