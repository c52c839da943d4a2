import { describe, expect, it } from 'vitest';
import { loadIngestorConfig } from '#config';
import type { BatchWrite, IngestErrorRecord, IngestRepository } from '#db';
import { BatchWriterService } from './batch-writer.service.js';
import type { IngestEntry } from './ingest-entry.js';
import { IngestMetrics } from './ingest.metrics.js';

const config = loadIngestorConfig({ NODE_ENV: 'test', DB_RETRY_WINDOW_MS: '0' });

const entry = (i: number, token = `tok${i}`): IngestEntry => ({
  kind: 'raw',
  topic: `device/sck/${token}/readings/raw`,
  token,
  payload: Buffer.from(`{t:2024-01-01T00:00:00Z,55:${i}}`),
  payloadBytes: 30,
  receivedAt: new Date(),
  rows: 1,
  readings: [{ sensorId: 55, recordedAt: Date.UTC(2024, 0, 1), value: i }],
  messageRejection: null,
  itemRejections: [],
  info: null,
  parkedId: null,
});

/** A repository whose batches fail for good whenever they hold a reading of value `bad`. */
function fakeRepository(bad: Set<number>, options: { recordFails?: boolean } = {}) {
  const calls = { batches: 0, stored: [] as number[], recorded: [] as IngestErrorRecord[] };
  const repository = {
    findActiveDevicesByTokens: (tokens: string[]) =>
      Promise.resolve(new Map(tokens.map((t, i) => [t, i + 1]))),
    storeBatch: (batch: BatchWrite) => {
      calls.batches++;
      if (batch.readings.some((r) => bad.has(r.value))) {
        return Promise.reject(Object.assign(new Error('invalid byte sequence'), { code: '22021' }));
      }
      calls.stored.push(...batch.readings.map((r) => r.value));
      return Promise.resolve({ inserted: batch.readings.length });
    },
    recordErrors: (errors: IngestErrorRecord[]) => {
      if (options.recordFails) {
        return Promise.reject(Object.assign(new Error('index row size exceeds maximum'), { code: '54000' }));
      }
      calls.recorded.push(...errors);
      return Promise.resolve();
    },
  };
  return { repository: repository as unknown as IngestRepository, calls };
}

describe('BatchWriterService: a batch that fails for good', () => {
  it('finds one bad entry among 256 in O(log n) transactions and stores the others', async () => {
    const { repository, calls } = fakeRepository(new Set([137]));
    const writer = new BatchWriterService(repository, new IngestMetrics(), config);
    await writer.write(Array.from({ length: 256 }, (_, i) => entry(i)));
    expect(calls.stored.sort((a, b) => a - b)).toEqual(
      Array.from({ length: 256 }, (_, i) => i).filter((i) => i !== 137),
    );
    expect(calls.recorded.map((r) => [r.reason, r.token])).toEqual([['store_failed', 'tok137']]);
    // One failed batch, then two halves per level of a 256-entry batch: 1 + 2 * 8.
    expect(calls.batches).toBeLessThanOrEqual(1 + 2 * Math.log2(256));
  });

  it('acknowledges and counts an entry whose rejection record cannot be written either', async () => {
    const { repository, calls } = fakeRepository(new Set([3]), { recordFails: true });
    const metrics = new IngestMetrics();
    const writer = new BatchWriterService(repository, metrics, config);
    await expect(writer.write([entry(1), entry(2), entry(3), entry(4)])).resolves.toBeUndefined();
    expect(calls.stored.sort()).toEqual([1, 2, 4]);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/^sck_ingest_unrecordable_total 1$/m);
  });
});
