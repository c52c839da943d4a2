import { Inject, Injectable, Logger } from '@nestjs/common';
import { JOBS, SPILL_JOB_OPTIONS } from '#queues';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';
import { QueueProducersService } from '../queues/queue-producers.service.js';
import { BatchWriterService, StoreUnavailableError } from './batch-writer.service.js';
import type { IngestEntry } from './ingest-entry.js';
import { IngestMetrics } from './ingest.metrics.js';
import { toSpilled } from './spilled-entry.js';

/** While Postgres is known to be down, a batch gets this long before it is spilled. */
const DEGRADED_RETRY_WINDOW_MS = 250;

/**
 * Store-and-forward (ARCHITECTURE.md): a batch is written to Postgres; if Postgres stays
 * unreachable for the retry window, the batch goes to a Redis job (the `store-forward` queue) and
 * its messages are acknowledged; the job writes it with the same BatchWriterService once
 * Postgres is back. If Redis cannot take it either, the batch fails and its messages stay
 * unacknowledged, so the broker keeps them.
 *
 * Pace while Postgres is down: the first batch waits the full DB_RETRY_WINDOW_MS; after a spill
 * the following batches get DEGRADED_RETRY_WINDOW_MS each (the broker must not fill up behind a
 * known outage), until a write succeeds again. The MQTT pool holds at most MQTT_CONNECTIONS ×
 * MQTT_RECEIVE_MAXIMUM unacknowledged messages, so no more are spilled per window and batch.
 */
@Injectable()
export class StoreForwardService {
  private readonly logger = new Logger('StoreForward');
  private degradedSince: number | null = null;
  private spilledSinceDown = 0;

  constructor(
    private readonly writer: BatchWriterService,
    private readonly queues: QueueProducersService,
    private readonly metrics: IngestMetrics,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {}

  get degraded(): boolean {
    return this.degradedSince !== null;
  }

  async writeOrSpill(entries: IngestEntry[]): Promise<void> {
    try {
      await this.writer.write(
        entries,
        this.degraded
          ? { retryWindowMs: Math.min(DEGRADED_RETRY_WINDOW_MS, this.config.DB_RETRY_WINDOW_MS) }
          : {},
      );
    } catch (error) {
      if (!(error instanceof StoreUnavailableError) || !this.config.SPILL_ENABLED) throw error;
      await this.spill(entries, error);
      return;
    }
    if (this.degradedSince !== null) {
      this.logger.log(
        `database reachable again after ${Math.round((Date.now() - this.degradedSince) / 1000)} s; ` +
          `${this.spilledSinceDown} batches were spilled to Redis meanwhile and are being written by the store-forward worker`,
      );
      this.degradedSince = null;
      this.spilledSinceDown = 0;
    }
  }

  private async spill(entries: IngestEntry[], cause: StoreUnavailableError): Promise<void> {
    try {
      await this.queues.storeForward.add(
        JOBS.writeSpilledBatch,
        { entries: entries.map(toSpilled) },
        SPILL_JOB_OPTIONS,
      );
    } catch (error) {
      this.metrics.batchWithheld();
      this.logger.error(
        `database and redis both unavailable: ${entries.length} messages left unacknowledged for the broker to redeliver (${cause.message}; redis: ${(error as Error).message})`,
      );
      throw cause;
    }
    this.metrics.batchSpilled(entries.length);
    if (this.degradedSince === null) {
      this.degradedSince = Date.now();
      this.logger.warn(
        `database unavailable (${cause.message}); spilling batches to Redis and acknowledging them until it is back`,
      );
    }
    this.spilledSinceDown++;
    this.logger.debug(`spilled a batch of ${entries.length} messages`);
  }
}
