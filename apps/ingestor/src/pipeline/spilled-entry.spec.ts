import { describe, expect, it } from 'vitest';
import { writeSpilledBatchJob } from '#queues';
import type { IngestEntry } from './ingest-entry.js';
import { fromSpilled, toSpilled } from './spilled-entry.js';

const entry: IngestEntry = {
  kind: 'raw',
  topic: 'device/sck/abc123/readings/raw',
  token: 'abc123',
  payload: Buffer.from([0x7b, 0x00, 0xff, 0x7d]),
  payloadBytes: 4,
  receivedAt: new Date('2025-01-01T00:00:00.123Z'),
  rows: 1,
  readings: [{ sensorId: 55, recordedAt: Date.parse('2024-12-31T23:59:00Z'), value: -1.5 }],
  messageRejection: null,
  itemRejections: [
    { reason: 'unknown_sensor', message: 'sensor 9999 is not in the catalogue', item: { id: 9999 } },
  ],
  info: null,
  parkedId: '42',
};

describe('spilled entries', () => {
  it('survive job data (JSON) and its schema unchanged, bytes included', () => {
    const data: unknown = JSON.parse(JSON.stringify({ entries: [toSpilled(entry)] }));
    const parsed = writeSpilledBatchJob.parse(data);
    expect(fromSpilled(parsed.entries[0])).toEqual(entry);
  });

  it('are refused by the schema when a field is wrong', () => {
    const bad = { ...toSpilled(entry), readings: [{ sensorId: 1.5, recordedAt: 0, value: 1 }] };
    expect(writeSpilledBatchJob.safeParse({ entries: [bad] }).success).toBe(false);
    expect(
      writeSpilledBatchJob.safeParse({ entries: [{ ...toSpilled(entry), payload: '***' }] }).success,
    ).toBe(false);
    expect(writeSpilledBatchJob.safeParse({ entries: [] }).success).toBe(false);
  });
});
