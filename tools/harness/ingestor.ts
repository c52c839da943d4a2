import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadIngestorConfig } from '#config';
import { type RunningIngestor, startIngestor } from '../../apps/ingestor/src/bootstrap.js';
import { REDIS_URL } from './env.js';
import { freePort } from './ports.js';
import { waitFor } from './poll.js';
import { TS_NODE } from './typescript.js';

const ROOT = join(import.meta.dirname, '..', '..');

/**
 * The node flags the ingestor ships with, from `npm run start:ingestor`: the heap cap and the
 * young generation's size. docker-compose.yml and deploy/k8s/ingestor.yaml pass the same
 * (shipped-node-args.spec.ts), and so does bench/README.md's production run; the chaos rows that
 * measure memory spawn with them.
 */
export const SHIPPED_INGESTOR_NODE_ARGS: string[] = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
).scripts['start:ingestor']
  .split(/\s+/)
  .filter((word) => word.startsWith('--'));

/** A metric of an ingestor's GET /metrics, summed over its labels (0 when absent). */
export async function readMetric(port: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{'))
    .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
}

/** Settings every test ingestor gets unless the test overrides them. */
export function ingestorEnv(databaseUrl: string, brokerPort: number, overrides: Record<string, string> = {}) {
  return {
    NODE_ENV: 'test',
    DATABASE_URL: databaseUrl,
    MQTT_HOST: '127.0.0.1',
    MQTT_PORT: String(brokerPort),
    MQTT_CLIENT_ID: `t${Math.random().toString(36).slice(2, 10)}`,
    // A group of its own: a stopped ingestor keeps its session (and its share of the group's
    // traffic) on the broker, which must not take messages away from the next test's ingestor.
    MQTT_SHARED_SUBSCRIPTION: `$share/g${Math.random().toString(36).slice(2, 10)}`,
    MQTT_CONNECTIONS: '4',
    REDIS_URL,
    // Each ingestor its own BullMQ keys, so tests never see each other's jobs.
    QUEUE_PREFIX: `t${Math.random().toString(36).slice(2, 10)}`,
    LOG_LEVEL: 'warn',
    INGESTOR_PORT: '0',
    HOST: '127.0.0.1',
    // Tests count rows in `readings`; the compaction tests drive compaction themselves.
    COMPACT_AFTER_DAYS: '0',
    ...overrides,
  };
}

/** The ingestor inside the test process: fastest to start, for tests that need no crash. */
export async function startInProcessIngestor(
  env: Record<string, string>,
): Promise<RunningIngestor & { stop(): Promise<void> }> {
  const running = await startIngestor(loadIngestorConfig(env));
  return { ...running, stop: () => running.close() };
}

export interface IngestorProcess {
  child: ChildProcess;
  port: number;
  output: () => string;
  /** Reads a metric from GET /metrics (sum over its labels). */
  metric(name: string): Promise<number>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface SpawnOptions {
  /** Extra node flags (e.g. --cpu-prof, which NODE_OPTIONS does not allow). */
  nodeArgs?: string[];
  /** `src` (default): apps/ingestor/src/main.ts through swc; `dist`: the output of `npm run build`. */
  build?: 'src' | 'dist';
}

/** The ingestor as its own process, so a test can SIGKILL it. Resolves once it is subscribed. */
export async function spawnIngestor(
  env: Record<string, string>,
  options: SpawnOptions = {},
): Promise<IngestorProcess> {
  const port = env.INGESTOR_PORT && env.INGESTOR_PORT !== '0' ? Number(env.INGESTOR_PORT) : await freePort();
  let log = '';
  const entry =
    options.build === 'dist' ? ['dist/apps/ingestor/src/main.js'] : [...TS_NODE, 'apps/ingestor/src/main.ts'];
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), ...entry], {
    cwd: ROOT,
    env: { ...process.env, ...env, INGESTOR_PORT: String(port), LOG_LEVEL: env.LOG_LEVEL ?? 'log' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const metric = (name: string) => readMetric(port, name);
  const ready = waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).ok, Boolean, {
    what: 'the ingestor to be ready',
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  const died = exited.then((code) => {
    throw new Error(`ingestor exited early (${code})`);
  });
  await Promise.race([ready, died]).catch((error: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${error.message}\n--- ingestor output ---\n${log}`);
  });
  died.catch(() => undefined);
  return {
    child,
    port,
    output: () => log,
    metric,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
}
