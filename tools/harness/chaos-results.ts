import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const RESULTS_FILE = join(import.meta.dirname, '..', '..', '.chaos-results.jsonl');

export interface ChaosRow {
  scenario: string;
  faults: number;
  sent: number;
  acknowledged: number;
  stored: number;
  lost: number;
  duplicated: number;
  wrongLatest: number;
  badTried?: number;
  badRecorded?: number;
  peakRssMb?: number;
  /** Broker attacks: device messages an intruder received. */
  stolen?: number;
  /** Broker attacks: readings stored under a token they were not published by. */
  spoofed?: number;
  /** Rate at which real traffic was stored during an attack, % of its clean rate. */
  realRatePct?: number;
}

/** Each chaos test appends its row; `npm run test:chaos` prints them as one table at the end. */
export function recordChaosRow(row: ChaosRow): void {
  appendFileSync(RESULTS_FILE, `${JSON.stringify(row)}\n`);
}

export function readChaosRows(): ChaosRow[] {
  if (!existsSync(RESULTS_FILE)) return [];
  return readFileSync(RESULTS_FILE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as ChaosRow);
}

/** Peak resident memory of a process so far (VmHWM), MB. */
export function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return Math.round(kb / 1024);
}
