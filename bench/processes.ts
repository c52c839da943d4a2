import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { type IngestorProcess, spawnIngestor } from '../tools/harness/ingestor.js';
import type { TestBroker } from '../tools/harness/mosquitto.js';
import type { CleanupStack } from './cleanup.js';
import type { BenchOptions } from './options.js';
import { cpuMsFromProcStat } from './stats.js';

export type LoadAverage = [number, number, number];

export { setTimeout as sleep } from 'node:timers/promises';
export const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
export const loads = () => loadavg().map((l) => Number(l.toFixed(2))) as LoadAverage;

export function procStatus(pid: number): { rssKb: number; hwmKb: number } {
  const text = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text)?.[1] ?? 0);
  return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
}

/** CPU time the process has used so far, in ms (`/proc/<pid>/stat` counts in USER_HZ, 100 on Linux). */
export function procCpuMs(pid: number): number {
  return cpuMsFromProcStat(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** Kills a child that may be stopped (SIGSTOP): SIGCONT, then SIGKILL. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGCONT');
  child.kill('SIGKILL');
  await exited;
}

export interface BenchIngestor extends IngestorProcess {
  /** SIGTERM (lets a --cpu-prof run write its profile), SIGKILL if it has not exited within 10 s. */
  stop(): Promise<void>;
}

/**
 * The ingestor as shipped, on `databaseUrl` and `broker`, with the run's overrides and node flags;
 * SIGKILLed when the run ends unless stopped before.
 */
export async function startBenchIngestor(
  options: BenchOptions,
  cleanup: CleanupStack,
  databaseUrl: string,
  broker: TestBroker,
): Promise<BenchIngestor> {
  const running = await spawnIngestor(
    {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(broker.port),
      MQTT_CLIENT_ID: `bench${randomBytes(3).toString('hex')}`,
      MQTT_KEEPALIVE_SECONDS: '300',
      LOG_LEVEL: 'warn',
      INGESTOR_PORT: '0',
      HOST: '127.0.0.1',
      ...options.ingestorOverrides,
    },
    { nodeArgs: options.ingestorNodeArgs, build: options.ingestorBuild },
  );
  const stop = async (signal: NodeJS.Signals) => {
    const killer = setTimeout(() => running.child.kill('SIGKILL'), 10_000);
    await running.kill(signal);
    clearTimeout(killer);
    if (options.ingestorLogFile) {
      appendFileSync(
        options.ingestorLogFile,
        `--- ingestor pid ${running.child.pid}, stopped with ${signal} ---\n`,
      );
      appendFileSync(options.ingestorLogFile, running.output());
    }
  };
  const release = cleanup.defer(() => stop('SIGKILL'));
  return { ...running, stop: () => release(() => stop('SIGTERM')) };
}
