/** Every reason an ingest error can be recorded with. PROTOCOL.md names the per-reading ones. */
export const REJECT_REASONS = [
  'malformed_json',
  'schema',
  'raw_grammar',
  'timestamp_missing',
  'timestamp_invalid',
  'timestamp_future',
  'timestamp_too_old',
  'unknown_sensor',
  'value_invalid',
  'unknown_device',
  'unknown_topic',
  'payload_too_large',
  'store_failed',
  // Not a rejection: an info payload had C0 control bytes removed before it was stored.
  'info_sanitized',
  // A parked message (unknown or archived device) that was not kept: the per-token or total
  // bound was reached, or it expired before a device with its token was registered.
  'parked_overflow',
  'parked_expired',
] as const;

export type RejectReason = (typeof REJECT_REASONS)[number];

/** One rejection: a whole message (no `item`) or one reading or item of it. */
export interface Rejection {
  reason: RejectReason;
  message: string;
  item?: unknown;
}
