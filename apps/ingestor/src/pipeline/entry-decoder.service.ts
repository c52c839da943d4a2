import { Inject, Injectable } from '@nestjs/common';
import {
  applyReadingRules,
  decodeInfo,
  decodeJsonReadings,
  decodeRawReadings,
  type Rejection,
} from '#domain';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';
import type { EntryKind, IngestEntry } from './ingest-entry.js';
import { SensorCatalogueService } from './sensor-catalogue.service.js';

export interface RawMessage {
  topic: string;
  token: string | null;
  payload: Buffer;
  receivedAt: Date;
}

/**
 * Turns a message of any kind into a batch entry: decoding and validation, no I/O. Live messages
 * and replayed parked ones go through this same code.
 */
@Injectable()
export class EntryDecoderService {
  private readonly floor: number;

  constructor(
    private readonly catalogue: SensorCatalogueService,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {
    this.floor = Date.parse(config.READINGS_FLOOR);
  }

  decode(kind: EntryKind, message: RawMessage, parkedId: string | null = null): IngestEntry {
    const entry: IngestEntry = {
      kind,
      topic: message.topic,
      token: message.token,
      payload: ownBytes(message.payload),
      payloadBytes: message.payload.length,
      receivedAt: message.receivedAt,
      rows: 0,
      readings: [],
      messageRejection: null,
      itemRejections: [],
      info: null,
      parkedId,
    };
    const tooLarge = this.checkSize(message.payload);
    if (tooLarge) return this.rejected(entry, tooLarge);
    switch (kind) {
      case 'readings':
      case 'raw': {
        const decoded =
          kind === 'raw' ? decodeRawReadings(message.payload) : decodeJsonReadings(message.payload);
        if (!decoded.ok) return this.rejected(entry, decoded.rejection);
        const { rows, rejections } = applyReadingRules(decoded.readings, {
          sensorIds: this.catalogue.sensorIds,
          now: Date.now(),
          floor: this.floor,
          maxFutureMs: this.config.READINGS_MAX_FUTURE_HOURS * 3_600_000,
        });
        return { ...entry, rows: rows.length, readings: rows, itemRejections: rejections };
      }
      case 'info': {
        const decoded = decodeInfo(message.payload);
        if (!decoded.ok) return this.rejected(entry, decoded.rejection);
        const notes: Rejection[] = decoded.sanitized
          ? [{ reason: 'info_sanitized', message: 'control characters were removed from the info payload' }]
          : [];
        return { ...entry, info: decoded.info, itemRejections: notes };
      }
      case 'hello':
      case 'inventory':
        return entry;
      case 'unroutable':
        return this.rejected(entry, {
          reason: 'unknown_topic',
          message: `topic "${message.topic.slice(0, 200)}" is not part of the device protocol`,
        });
    }
  }

  /** Rejected as a whole: only a prefix of the payload is held and kept (a copy, so the rest is freed). */
  private rejected(entry: IngestEntry, rejection: Rejection): IngestEntry {
    return {
      ...entry,
      payload: Buffer.from(entry.payload.subarray(0, this.config.INGEST_ERROR_PAYLOAD_PREFIX_BYTES)),
      messageRejection: rejection,
    };
  }

  private checkSize(payload: Buffer): Rejection | null {
    if (payload.length <= this.config.MAX_PAYLOAD_BYTES) return null;
    return {
      reason: 'payload_too_large',
      message: `payload of ${payload.length} bytes exceeds the limit of ${this.config.MAX_PAYLOAD_BYTES} bytes`,
    };
  }
}

/**
 * The payload in a buffer of its own when it is a small part of a larger one. MQTT.js slices a
 * message that arrived within one socket read out of that read's buffer (up to 64 KB), so a
 * 100-byte reading held until its batch commits would keep the whole read alive, flood bytes
 * included, while the byte budget counts 100 bytes. A payload that is at least half its buffer is
 * kept as it is: what it holds is then at most twice what is counted.
 */
export function ownBytes(payload: Buffer): Buffer {
  return payload.length * 2 < payload.buffer.byteLength ? Buffer.from(payload) : payload;
}
