import { Inject, Injectable, Logger } from '@nestjs/common';
import { IngestRepository, type ParkedCursor, ParkedMessagesRepository } from '#db';
import { tokenRef } from '#domain';
import { JOBS, replayParkedJobOptions } from '#queues';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';
import { BatchWriterService } from '../pipeline/batch-writer.service.js';
import { EntryDecoderService } from '../pipeline/entry-decoder.service.js';
import { IngestMetrics } from '../pipeline/ingest.metrics.js';
import { QueueProducersService } from '../queues/queue-producers.service.js';

const REPLAY_PAGE = 200;

/**
 * Parked messages (PROTOCOL.md "Unknown and archived devices"): replayed through the ingest
 * pipeline once their token has an active device, purged (and recorded) when they expire.
 */
@Injectable()
export class ParkedReplayService {
  private readonly logger = new Logger('ParkedMessages');

  constructor(
    private readonly parked: ParkedMessagesRepository,
    private readonly ingest: IngestRepository,
    private readonly decoder: EntryDecoderService,
    private readonly writer: BatchWriterService,
    private readonly queues: QueueProducersService,
    private readonly metrics: IngestMetrics,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {}

  /**
   * Replays `token`'s parked messages in arrival order, a page per batch. Each parked row is
   * deleted in the transaction that stores its effects, so a second run (or a crash and retry)
   * finds nothing left to store twice. Returns how many messages were replayed.
   */
  async replay(token: string): Promise<number> {
    let cursor: ParkedCursor | null = null;
    let replayed = 0;
    for (;;) {
      // Checked per page: if the device is archived meanwhile, its messages would only be parked
      // again, so the replay stops.
      const active = await this.ingest.findActiveDevicesByTokens([token]);
      if (!active.has(token)) break;
      const page = await this.parked.listForReplay(token, cursor, REPLAY_PAGE);
      if (page.length === 0) break;
      const entries = page.map((p) =>
        this.decoder.decode(
          p.kind,
          { topic: p.topic, token: p.token, payload: p.payload, receivedAt: p.receivedAt },
          p.id,
        ),
      );
      await this.writer.write(entries);
      replayed += page.length;
      const last = page[page.length - 1];
      cursor = { receivedAt: last.receivedAt, id: last.id };
    }
    if (replayed > 0) this.logger.log(`replayed ${replayed} parked messages of ${tokenRef(token)}`);
    return replayed;
  }

  /**
   * Enqueues a replay for every token whose parked messages now have an active device: catches
   * registrations whose own replay job was never enqueued (Redis down at the time).
   */
  async sweep(): Promise<number> {
    const tokens = await this.parked.tokensWithActiveDevice();
    for (const token of tokens) {
      await this.queues.deviceLifecycle.add(JOBS.replayParked, { token }, replayParkedJobOptions(token));
    }
    if (tokens.length > 0) this.logger.log(`sweep: replay enqueued for ${tokens.length} tokens`);
    return tokens.length;
  }

  /** Deletes parked messages older than the retention, each recorded as `parked_expired`. */
  async purgeExpired(now = new Date()): Promise<number> {
    const cutoff = new Date(now.getTime() - this.config.PARKED_RETENTION_HOURS * 3_600_000);
    const expired = await this.parked.expire(cutoff, this.config.INGEST_ERROR_PAYLOAD_PREFIX_BYTES);
    this.metrics.expired(expired);
    if (expired > 0) {
      this.logger.warn(`${expired} parked messages expired (recorded in ingest_errors as parked_expired)`);
    }
    return expired;
  }
}
