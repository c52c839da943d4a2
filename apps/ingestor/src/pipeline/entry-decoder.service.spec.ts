import { describe, expect, it } from 'vitest';
import type { IngestorConfig } from '../config.provider.js';
import { EntryDecoderService, ownBytes } from './entry-decoder.service.js';
import type { SensorCatalogueService } from './sensor-catalogue.service.js';

const decoder = new EntryDecoderService(
  { sensorIds: new Set([10]) } as unknown as SensorCatalogueService,
  {
    READINGS_FLOOR: '2020-01-01T00:00:00Z',
    READINGS_MAX_FUTURE_HOURS: 24,
    MAX_PAYLOAD_BYTES: 65_536,
    INGEST_ERROR_PAYLOAD_PREFIX_BYTES: 1024,
  } as IngestorConfig,
);

/** A socket read of 64 KB: a large message's tail, then one small message, as MQTT.js slices it. */
function smallMessageInARead(): Buffer {
  const read = Buffer.alloc(65_536, 'x');
  const body = Buffer.from('{t:2024-01-01T00:00:00Z,10:1.5}');
  body.copy(read, 60_000);
  return read.subarray(60_000, 60_000 + body.length);
}

describe('EntryDecoderService', () => {
  it('keeps a small payload sliced out of a large read in a buffer of its own', () => {
    const payload = smallMessageInARead();
    const entry = decoder.decode('raw', {
      topic: 'device/sck/abc123/readings/raw',
      token: 'abc123',
      payload,
      receivedAt: new Date(),
    });
    expect(entry.rows).toBe(1);
    expect(entry.payload.equals(payload)).toBe(true);
    expect(entry.payload.buffer).not.toBe(payload.buffer);
    expect(entry.payload.buffer.byteLength).toBeLessThan(65_536);
  });

  it('keeps a payload that fills most of its buffer as it is', () => {
    const payload = Buffer.alloc(40_000, 'y');
    expect(ownBytes(payload)).toBe(payload);
    expect(ownBytes(Buffer.alloc(65_536).subarray(0, 40_000)).buffer.byteLength).toBe(65_536);
  });

  it('keeps a 1 KB prefix of a rejected payload, in a buffer of its own, and its size', () => {
    const payload = Buffer.alloc(65_536, 'x');
    const entry = decoder.decode('raw', {
      topic: 'device/sck/anon1/readings/raw',
      token: 'anon1',
      payload,
      receivedAt: new Date(),
    });
    expect(entry.messageRejection?.reason).toBe('raw_grammar');
    expect(entry.payload.length).toBe(1024);
    expect(entry.payload.buffer).not.toBe(payload.buffer);
    expect(entry.payloadBytes).toBe(65_536);
  });
});
