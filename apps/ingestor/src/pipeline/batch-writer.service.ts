import { setTimeout as sleep } from 'node:timers/promises';
import { Inject, Injectable, Logger } from '@nestjs/common';
import {
  type IngestErrorRecord,
  IngestRepository,
  isEmptyLifecycle,
  isTransientDbError,
  type LifecycleWrite,
  type StoredReading,
} from '#db';
import { decodeInventory, logSafeTopic } from '#domain';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';
import type { IngestEntry } from './ingest-entry.js';
import { IngestMetrics } from './ingest.metrics.js';

/** Thrown when a batch could not be stored within the retry window: its messages stay unacknowledged. */
export class StoreUnavailableError extends Error {
  override name = 'StoreUnavailableError';
}

/**
 * A batch routed a reading to readings_default while the partition upkeep attached that month's
 * partition: Postgres refuses the row (23514, "violates partition constraint"). A new attempt
 * routes it to the new partition, so this is retried like a transient error.
 */
export function isPartitionAttachRace(error: unknown, depth = 0): boolean {
  if (depth > 5 || error === null || typeof error !== 'object') return false;
  const e = error as { message?: unknown; cause?: unknown; meta?: unknown };
  if (typeof e.message === 'string' && /violates partition constraint/.test(e.message)) return true;
  return isPartitionAttachRace(e.cause, depth + 1) || isPartitionAttachRace(e.meta, depth + 1);
}

export interface WriteOptions {
  /** How long transient database errors are retried; defaults to DB_RETRY_WINDOW_MS. */
  retryWindowMs?: number;
}

/**
 * Writes one batch of entries in one transaction: resolves device tokens, then readings, latest
 * values, hello times, hardware info, inventory reports, parked messages (tokens without an active
 * device) and every rejection together. Transient database errors are retried for a short window.
 * A batch that fails for good is split in halves until the entry at fault is alone (O(log n)
 * transactions per bad entry); that entry is recorded as `store_failed`, and if even that record
 * cannot be written it is counted as unrecordable: every message ends, none is redelivered forever.
 * Live batches, replays of parked messages and spilled batches all come through here.
 */
@Injectable()
export class BatchWriterService {
  private readonly logger = new Logger('BatchWriter');

  constructor(
    private readonly repository: IngestRepository,
    private readonly metrics: IngestMetrics,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {}

  async write(entries: IngestEntry[], options: WriteOptions = {}): Promise<void> {
    const started = performance.now();
    const window = options.retryWindowMs ?? this.config.DB_RETRY_WINDOW_MS;
    try {
      const inserted = await this.withRetry(() => this.writeOnce(entries), window);
      this.metrics.batchWritten(inserted, performance.now() - started);
    } catch (error) {
      if (isTransientDbError(error) || error instanceof StoreUnavailableError) {
        throw new StoreUnavailableError(`database unavailable: ${(error as Error).message}`);
      }
      await this.isolate(entries, error);
    }
  }

  private async writeOnce(entries: IngestEntry[]): Promise<number> {
    const started = performance.now();
    const tokens = [...new Set(entries.map((e) => e.token).filter((t): t is string => t !== null))];
    const devices = await this.repository.findActiveDevicesByTokens(tokens);
    const readings: StoredReading[] = [];
    const errors: IngestErrorRecord[] = [];
    const lifecycle: LifecycleWrite = {
      replayedParkedIds: [],
      hellos: [],
      infos: [],
      inventory: [],
      parked: [],
      parkLimits: { perToken: this.config.PARKED_MAX_PER_TOKEN, total: this.config.PARKED_MAX_TOTAL },
      payloadPrefixBytes: this.config.INGEST_ERROR_PAYLOAD_PREFIX_BYTES,
    };
    for (const entry of entries) {
      const deviceId = entry.token === null ? null : (devices.get(entry.token) ?? null);
      const base = { deviceId, token: entry.token, topic: entry.topic };
      // A replayed message leaves parked_messages in the transaction that stores its effects.
      if (entry.parkedId !== null) lifecycle.replayedParkedIds.push(entry.parkedId);
      if (entry.messageRejection) {
        errors.push({ ...base, ...entry.messageRejection, ...this.kept(entry) });
        continue;
      }
      if (entry.kind === 'inventory') {
        const report = decodeInventory(entry.payload);
        lifecycle.inventory.push({ topic: entry.topic, ...report, at: entry.receivedAt });
        continue;
      }
      if (entry.token !== null && deviceId === null) {
        if (entry.kind === 'unroutable') continue;
        // No active device has this token (yet): parked, replayed when one is registered.
        lifecycle.parked.push({
          token: entry.token,
          kind: entry.kind,
          topic: entry.topic,
          payload: entry.payload,
          receivedAt: entry.receivedAt,
        });
        continue;
      }
      for (const rejection of entry.itemRejections) {
        errors.push({ ...base, ...rejection, ...(entry.kind === 'info' ? this.kept(entry) : {}) });
      }
      if (deviceId === null) continue;
      for (const row of entry.readings) {
        readings.push({ deviceId, sensorId: row.sensorId, recordedAt: row.recordedAt, value: row.value });
      }
      if (entry.kind === 'hello') lifecycle.hellos.push({ deviceId, at: entry.receivedAt });
      if (entry.kind === 'info' && entry.info) {
        lifecycle.infos.push({ deviceId, info: entry.info, at: entry.receivedAt });
      }
    }
    const { inserted } = await this.repository.storeBatch({
      readings,
      errors,
      ...(isEmptyLifecycle(lifecycle) ? {} : { lifecycle }),
    });
    this.metrics.rejected(errors);
    this.metrics.parked(lifecycle.parked.length);
    this.logger.debug(
      {
        messages: entries.length,
        readings: readings.length,
        inserted,
        rejections: errors.length,
        parked: lifecycle.parked.length,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
      },
      'batch stored',
    );
    return inserted;
  }

  private async withRetry<T>(
    attempt: () => Promise<T>,
    windowMs = this.config.DB_RETRY_WINDOW_MS,
  ): Promise<T> {
    const deadline = Date.now() + windowMs;
    let delay = 50;
    for (let tries = 1; ; tries++) {
      try {
        return await attempt();
      } catch (error) {
        if (!(isTransientDbError(error) || isPartitionAttachRace(error)) || Date.now() + delay > deadline) {
          throw error;
        }
        if (tries === 1) this.logger.warn(`database unavailable, retrying: ${(error as Error).message}`);
        await sleep(delay);
        delay = Math.min(delay * 2, 1000);
      }
    }
  }

  /** What a rejection keeps of a message: a prefix of its payload, and its whole size. */
  private kept(entry: IngestEntry): { payload: Buffer; payloadBytes: number } {
    return {
      payload: entry.payload.subarray(0, this.config.INGEST_ERROR_PAYLOAD_PREFIX_BYTES),
      payloadBytes: entry.payloadBytes,
    };
  }

  /** A batch failed for good: its halves are written apart, so the bad entry is found by bisection. */
  private async isolate(entries: IngestEntry[], error: unknown): Promise<void> {
    if (entries.length > 1) {
      const half = Math.ceil(entries.length / 2);
      await this.write(entries.slice(0, half));
      await this.write(entries.slice(half));
      return;
    }
    const [entry] = entries;
    const reason = `${(error as Error).message ?? String(error)}`;
    this.logger.error(`message on ${logSafeTopic(entry.topic)} could not be stored: ${reason.slice(0, 300)}`);
    const record: IngestErrorRecord = {
      reason: 'store_failed',
      message: `could not be stored: ${reason}`,
      deviceId: null,
      token: entry.token,
      topic: entry.topic,
      ...this.kept(entry),
    };
    try {
      await this.withRetry(() => this.repository.recordErrors([record]));
      this.metrics.rejected([record]);
    } catch (recordError) {
      if (isTransientDbError(recordError)) {
        throw new StoreUnavailableError(`database unavailable: ${(recordError as Error).message}`);
      }
      // Retrying cannot help: acknowledging is the only way this message ever ends.
      this.metrics.unrecordable();
      this.logger.error(
        `message on ${logSafeTopic(entry.topic)} could not be recorded either, acknowledged: ${String(recordError).slice(0, 300)}`,
      );
    }
  }
}
