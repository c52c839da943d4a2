import type { MessageKind, ReadingRow, Rejection } from '#domain';

export type EntryKind = MessageKind | 'unroutable';

/** One decoded MQTT message (live, replayed from parked_messages, or from a spilled batch). */
export interface IngestEntry {
  kind: EntryKind;
  topic: string;
  /** Null for topics without a device (inventory, unroutable). */
  token: string | null;
  /** The whole payload, or only a prefix of it once the message is rejected as a whole. */
  payload: Buffer;
  /** The size of the payload as received. */
  payloadBytes: number;
  receivedAt: Date;
  rows: number;
  readings: ReadingRow[];
  /** Whole-message rejection: nothing of the message is stored, the payload is kept. */
  messageRejection: Rejection | null;
  /** Rejections of single readings or items (and notes such as `info_sanitized`). */
  itemRejections: Rejection[];
  /** The hardware info of an `info` message. */
  info: Record<string, unknown> | null;
  /** Set when the message is a replay of this parked_messages row. */
  parkedId: string | null;
}

/** Rough heap cost of one decoded reading row or item rejection, and of an entry itself. */
const READING_BYTES = 64;
const REJECTION_BYTES = 256;
const ENTRY_BYTES = 512;

/**
 * What an entry holds until its batch is written (the MQTT pool's byte budget counts this once the
 * message is decoded): the payload kept (only a prefix once the message is rejected), its topic,
 * its decoded rows and rejections.
 */
export function entryCost(entry: IngestEntry): number {
  return (
    entry.payload.length +
    entry.topic.length +
    entry.readings.length * READING_BYTES +
    entry.itemRejections.length * REJECTION_BYTES +
    ENTRY_BYTES
  );
}
