import { Inject, Injectable } from '@nestjs/common';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';
import type { MqttMessage } from '../mqtt/mqtt-message.js';
import { Batcher } from './batcher.js';
import { EntryDecoderService } from './entry-decoder.service.js';
import { type EntryKind, entryCost, type IngestEntry } from './ingest-entry.js';
import { StoreForwardService } from './store-forward.service.js';

/**
 * Decodes and validates messages of every kind, then hands them to the batcher. The returned
 * promise settles once the message's batch committed (or was spilled to Redis, see
 * StoreForwardService): only then may the transport acknowledge it.
 */
@Injectable()
export class IngestService {
  // Built in the constructor, not onModuleInit: a resumed MQTT session delivers right after CONNACK.
  private readonly batcher: Batcher<IngestEntry>;

  constructor(
    private readonly decoder: EntryDecoderService,
    private readonly store: StoreForwardService,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {
    this.batcher = new Batcher<IngestEntry>(
      {
        maxRows: this.config.BATCH_MAX_ROWS,
        maxWaitMs: this.config.BATCH_MAX_WAIT_MS,
        // Every message the pool can hold unacknowledged at once.
        flushAtEntries: this.config.MQTT_CONNECTIONS * this.config.MQTT_RECEIVE_MAXIMUM,
        maxConcurrentFlushes: this.config.BATCH_CONCURRENCY,
      },
      (entries) => this.store.writeOrSpill(entries),
    );
  }

  get depth() {
    return this.batcher.depth;
  }

  /** Storing is the bottleneck: work that can wait (the firehose) gives way. */
  get saturated(): boolean {
    return this.batcher.saturated;
  }

  ingest(message: MqttMessage, kind: EntryKind): Promise<void> {
    const entry = this.decoder.decode(kind, {
      topic: message.topic,
      token: message.route?.token ?? null,
      payload: message.payload,
      receivedAt: message.receivedAt,
    });
    message.retain(entryCost(entry));
    return this.batcher.submit(entry);
  }
}
