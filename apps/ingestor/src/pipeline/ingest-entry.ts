import type { MessageKind, ReadingRow, Rejection } from '../../../../libs/domain/src/index.js';

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
