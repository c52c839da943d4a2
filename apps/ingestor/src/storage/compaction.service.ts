import { Inject, Injectable, Logger } from '@nestjs/common';
import { CompactionRepository, IngestRepository } from '#db';
import { daysBetween } from '#db';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';

const DAY_MS = 86_400_000;
/**
 * Devices per compaction chunk: one transaction holds at most this many devices' day of rows
 * (~86,000 readings for kits sending 12 sensors a minute), and a batch with a reading near the
 * horizon waits at most for one chunk.
 */
const CHUNK_DEVICES = 5;

export interface CompactionRun {
  days: number;
  readings: number;
  rows: number;
  /** Longest time one chunk held the compaction lock (late readings wait that long at most). */
  longestLockMs: number;
  truncated: string[];
}

/**
 * Moves UTC days older than COMPACT_AFTER_DAYS from `readings` into readings_compact, one chunk of
 * devices × one day per transaction. Nothing is kept in memory between chunks and nothing records
 * where a run stopped: what is left in `readings` before the horizon is the work, so a run cut
 * short anywhere is resumed by the next one.
 */
@Injectable()
export class CompactionService {
  private readonly logger = new Logger('Compaction');

  constructor(
    private readonly compaction: CompactionRepository,
    ingest: IngestRepository,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {
    ingest.useCompactionHorizon(config.COMPACT_AFTER_DAYS);
  }

  /** One pass; `shouldStop` is checked between chunks (shutdown). */
  async run(now = new Date(), shouldStop: () => boolean = () => false): Promise<CompactionRun> {
    const run: CompactionRun = { days: 0, readings: 0, rows: 0, longestLockMs: 0, truncated: [] };
    const days = this.config.COMPACT_AFTER_DAYS;
    if (days === 0) return run;
    const horizon = new Date(Math.floor((now.getTime() - days * DAY_MS) / DAY_MS) * DAY_MS);
    for (const part of await this.compaction.partitionsBefore(horizon)) {
      if (await this.compaction.isEmpty(part.name)) continue;
      const partDays = daysBetween(part.from, part.to < horizon ? part.to : horizon);
      for (const [i, day] of partDays.entries()) {
        let moved = 0;
        const devices = await this.compaction.devicesOfDay(day);
        for (let at = 0; at < devices.length; at += CHUNK_DEVICES) {
          if (shouldStop()) return run;
          const step = await this.compaction.compactChunk(day, devices.slice(at, at + CHUNK_DEVICES));
          moved += step.readings;
          run.readings += step.readings;
          run.rows += step.rows;
          run.longestLockMs = Math.max(run.longestLockMs, step.lockedMs);
        }
        run.days++;
        if (moved > 0) {
          this.logger.log(
            `${day.toISOString().slice(0, 10)} (${i + 1}/${partDays.length} of ${part.name}): ` +
              `${moved} readings compacted; ${run.readings} this run`,
          );
        }
      }
      if (part.to <= horizon && (await this.compaction.truncateIfEmpty(part.name))) {
        run.truncated.push(part.name);
      }
    }
    return run;
  }

  /** Retention (RETENTION_MONTHS): drops whole months of raw and compacted readings, keeps rollups. */
  async applyRetention(now = new Date()): Promise<string[]> {
    const months = this.config.RETENTION_MONTHS;
    if (months === 0) return [];
    const before = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - months, 1));
    const dropped = await this.compaction.dropBefore(before);
    if (dropped.length > 0) this.logger.log(`retention: dropped ${dropped.join(', ')}`);
    return dropped;
  }
}
