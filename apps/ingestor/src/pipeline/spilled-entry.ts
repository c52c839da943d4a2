import type { SpilledEntry } from '#queues';
import type { IngestEntry } from './ingest-entry.js';

/** A batch entry as job data: JSON-safe, payload in base64. */
export function toSpilled(entry: IngestEntry): SpilledEntry {
  return {
    kind: entry.kind,
    topic: entry.topic,
    token: entry.token,
    payload: entry.payload.toString('base64'),
    payloadBytes: entry.payloadBytes,
    receivedAt: entry.receivedAt.toISOString(),
    readings: entry.readings,
    messageRejection: entry.messageRejection,
    itemRejections: entry.itemRejections,
    info: entry.info,
    parkedId: entry.parkedId,
  };
}

/** The inverse of toSpilled, for data already validated against `spilledEntry`. */
export function fromSpilled(spilled: SpilledEntry): IngestEntry {
  const payload = Buffer.from(spilled.payload, 'base64');
  return {
    kind: spilled.kind,
    topic: spilled.topic,
    token: spilled.token,
    payload,
    payloadBytes: spilled.payloadBytes ?? payload.length,
    receivedAt: new Date(spilled.receivedAt),
    rows: spilled.readings.length,
    readings: spilled.readings,
    messageRejection: spilled.messageRejection,
    itemRejections: spilled.itemRejections,
    info: spilled.info,
    parkedId: spilled.parkedId,
  };
}
