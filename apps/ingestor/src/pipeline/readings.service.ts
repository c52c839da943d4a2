import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import {
  applyReadingRules,
  decodeJsonReadings,
  decodeRawReadings,
  type Rejection,
} from '../../../../libs/domain/src/index.js';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';
import type { MqttMessage } from '../mqtt/mqtt-message.js';
import { Batcher } from './batcher.js';
import { BatchWriterService } from './batch-writer.service.js';
import type { IngestEntry } from './ingest-entry.js';
import { SensorCatalogueService } from './sensor-catalogue.service.js';

/**
 * Decodes and validates readings messages, then hands them to the batcher. The returned promise
 * settles once the message's batch committed: only then may the transport acknowledge it.
 */
@Injectable()
export class ReadingsService implements OnModuleInit {
  private batcher!: Batcher<IngestEntry>;
  private readonly floor: number;

  constructor(
    private readonly catalogue: SensorCatalogueService,
    private readonly writer: BatchWriterService,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {
    this.floor = Date.parse(config.READINGS_FLOOR);
  }

  onModuleInit(): void {
    this.batcher = new Batcher<IngestEntry>(
      {
        maxRows: this.config.BATCH_MAX_ROWS,
        maxWaitMs: this.config.BATCH_MAX_WAIT_MS,
        flushAtEntries: this.config.MQTT_CONNECTIONS,
        maxConcurrentFlushes: this.config.BATCH_CONCURRENCY,
      },
      (entries) => this.writer.write(entries),
    );
  }

  get depth() {
    return this.batcher.depth;
  }

  /** Writes whatever is pending; used on shutdown. */
  drain(): Promise<void> {
    return this.batcher.drain();
  }

  ingest(message: MqttMessage, form: 'json' | 'raw'): Promise<void> {
    const token = message.route?.token ?? null;
    const tooLarge = this.checkSize(message);
    if (tooLarge) return this.reject(message, tooLarge);
    const decoded = form === 'raw' ? decodeRawReadings(message.payload) : decodeJsonReadings(message.payload);
    if (!decoded.ok) return this.reject(message, decoded.rejection);
    const { rows, rejections } = applyReadingRules(decoded.readings, {
      sensorIds: this.catalogue.sensorIds,
      now: Date.now(),
      floor: this.floor,
      maxFutureMs: this.config.READINGS_MAX_FUTURE_HOURS * 3_600_000,
    });
    return this.batcher.submit({
      topic: message.topic,
      token,
      payload: message.payload,
      rows: rows.length,
      readings: rows,
      messageRejection: null,
      itemRejections: rejections,
    });
  }

  /** Records a whole-message rejection in the same batch path, so it too is acked after commit. */
  reject(message: MqttMessage, rejection: Rejection): Promise<void> {
    return this.batcher.submit({
      topic: message.topic,
      token: message.route?.token ?? null,
      payload: message.payload.subarray(0, this.config.MAX_PAYLOAD_BYTES),
      rows: 0,
      readings: [],
      messageRejection: rejection,
      itemRejections: [],
    });
  }

  checkSize(message: MqttMessage): Rejection | null {
    if (message.payload.length <= this.config.MAX_PAYLOAD_BYTES) return null;
    return {
      reason: 'payload_too_large',
      message: `payload of ${message.payload.length} bytes exceeds the limit of ${this.config.MAX_PAYLOAD_BYTES} bytes`,
    };
  }
}
