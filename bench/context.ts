import type { CleanupStack } from './cleanup.js';
import type { BenchOptions } from './options.js';
import { type LoadAverage, loads } from './processes.js';

/** What every phase of a run shares. */
export interface BenchContext {
  options: BenchOptions;
  cleanup: CleanupStack;
  /** Rows per batch for both pipelines: the ingestor's BATCH_MAX_ROWS (its default or --ingestor-env). */
  batchRows: number;
  /** The load average as each phase started, by phase. */
  phaseLoads: Record<string, LoadAverage>;
}

/** Notes the load average as phase `name` starts. */
export function startPhase(context: BenchContext, name: string): void {
  context.phaseLoads[name] = loads();
}
