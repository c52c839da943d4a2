import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { type Backlog, type Drain, drainBacklog, storedSummary, type Throughput } from '../drain.js';
import { log, stopChild } from '../processes.js';
import { checkpoint, type Target } from '../target.js';
import { TS_NODE } from '../../tools/harness/typescript.js';

const ROOT = join(import.meta.dirname, '..', '..');

export type BaselineRun = Throughput & { deadlocksRetried: number };

/** bench/phases/baseline-consumer.ts as a process of its own, cutting batches at `batchRows`. */
function spawnBaseline(brokerUrl: string, databaseUrl: string, batchRows: number) {
  const child = spawn(
    process.execPath,
    [...TS_NODE, 'bench/phases/baseline-consumer.ts', brokerUrl, databaseUrl, String(batchRows)],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let committed = 0;
  let deadlocks = 0;
  let output = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === 'ready') onReady();
      else if (line.startsWith('committed ')) [committed, deadlocks] = line.slice(10).split(' ').map(Number);
    }
  });
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.once('exit', (code) => {
    if (code) log(`baseline exited with ${code}: ${output}`);
  });
  return { child, ready, committed: () => committed, deadlocks: () => deadlocks, output: () => output };
}

/** One drain of the backlog by the baseline consumer, on the target's broker into its database. */
export async function measureBaseline(
  label: string,
  target: Target,
  backlog: Backlog,
  batchRows: number,
): Promise<BaselineRun> {
  const baseline = spawnBaseline(target.broker.url, target.databaseUrl, batchRows);
  let drain: Drain;
  try {
    await baseline.ready;
    await checkpoint(target.sql);
    drain = await drainBacklog(label, target.broker, backlog, {
      pid: baseline.child.pid!,
      progress: baseline.committed,
    });
  } finally {
    await stopChild(baseline.child);
  }
  const result = {
    ...(await storedSummary(target.sql, backlog, drain)),
    deadlocksRetried: baseline.deadlocks(),
  };
  if (baseline.output()) log(`${label} stderr: ${baseline.output().slice(0, 2000)}`);
  log(
    `${label}: ${result.stored} rows, ${result.readingsPerSecond.toFixed(0)} readings/s, ` +
      `${result.cpuMsPer1000.toFixed(2)} ms CPU per 1,000`,
  );
  return result;
}
