import { setTimeout as sleep } from 'node:timers/promises';
import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import { RollupsRepository } from '#db';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';
import { CompactionService } from './compaction.service.js';

/** An hour is recomputed once it has been closed this long (readings still in flight land first). */
const SETTLE_MS = 60_000;

/**
 * The storage upkeep loops: rollups every ROLLUP_REFRESH_EVERY_MS, compaction and retention every
 * COMPACTION_EVERY_MS. Plain timers on Postgres alone (no Redis): the rollup job is kept to one
 * runner by an advisory lock, compaction chunks are idempotent.
 */
@Injectable()
export class StorageJobsService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Storage');
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly running = new Set<Promise<void>>();
  /** Cuts the rollup job's pauses short when the service stops. */
  private readonly stopping = new AbortController();
  private stopped = false;

  constructor(
    private readonly rollups: RollupsRepository,
    private readonly compaction: CompactionService,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.JOBS_ENABLED) return;
    this.every(this.config.ROLLUP_REFRESH_EVERY_MS, () => this.refreshRollups());
    if (this.config.COMPACT_AFTER_DAYS > 0 || this.config.RETENTION_MONTHS > 0) {
      this.every(this.config.COMPACTION_EVERY_MS, async () => {
        await this.compaction.applyRetention();
        const run = await this.compaction.run(new Date(), () => this.stopped);
        if (run.readings > 0) {
          this.logger.log(
            `compaction: ${run.readings} readings into ${run.rows} rows over ${run.days} days, ` +
              `longest lock ${run.longestLockMs} ms`,
          );
        }
      });
    }
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.stopping.abort();
    await Promise.allSettled([...this.running]);
  }

  /**
   * Folds marks and recomputes closed hours until neither step has more to do, pausing between
   * steps so that they fill at most ROLLUP_DUTY_PERCENT of the time: a backlog (a bulk catch-up,
   * a drain after an outage) is worked off beside the batches instead of competing with them for
   * Postgres. Answers stay exact meanwhile: the API reads hours not yet recomputed from the rows.
   */
  async refreshRollups(now = Date.now()): Promise<void> {
    const pauseFactor = 100 / this.config.ROLLUP_DUTY_PERCENT - 1;
    for (;;) {
      const started = performance.now();
      const step = await this.rollups.refresh(new Date(now - SETTLE_MS));
      if (!step || this.stopped || (step.marks === 0 && step.buckets === 0)) return;
      const pause = (performance.now() - started) * pauseFactor;
      if (pause >= 1) await sleep(pause, undefined, { signal: this.stopping.signal }).catch(() => undefined);
      if (this.stopped) return;
    }
  }

  private every(ms: number, work: () => Promise<void>): void {
    const tick = () => {
      if (this.stopped) return;
      const done = work()
        .catch((error: unknown) => this.logger.warn(String(error)))
        .finally(() => {
          this.running.delete(done);
          if (!this.stopped) schedule(ms);
        });
      this.running.add(done);
    };
    const schedule = (delay: number) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        tick();
      }, delay);
      this.timers.add(timer);
    };
    schedule(Math.min(ms, 5000));
  }
}
