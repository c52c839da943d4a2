import type { ReadingRow, Rejection } from '../../../../libs/domain/src/index.js';

/** One decoded MQTT message on its way into a batch. */
export interface IngestEntry {
  topic: string;
  /** Null for topics without a device (inventory, unroutable). */
  token: string | null;
  payload: Buffer;
  rows: number;
  readings: ReadingRow[];
  /** Whole-message rejection: nothing of the message is stored, the payload is kept. */
  messageRejection: Rejection | null;
  /** Rejections of single readings or items; the rest of the message is stored. */
  itemRejections: Rejection[];
}
