import { z } from 'zod';
import { REJECT_REASONS } from '#domain';

/**
 * Every BullMQ queue, job name and payload of the project, in one place. Producers live in
 * either app; processors only in the ingestor. Consumers re-parse `data` with these schemas.
 */
export const QUEUES = {
  /** Work that follows a device's registration or re-activation. */
  deviceLifecycle: 'device-lifecycle',
  /** Batches that could not be written while Postgres was unreachable (store-and-forward). */
  storeForward: 'store-forward',
  /** Scheduled upkeep: readings partitions, retention of ingest_errors, device_inventory, orphans. */
  maintenance: 'maintenance',
  /** Stored batches of forwarding devices, published to their owners' forward topics. */
  forward: 'forward',
} as const;

export const JOBS = {
  /** Replays a token's parked messages through the ingest pipeline, in arrival order. */
  replayParked: 'replay-parked',
  /** Periodic: replays parked messages of every token that now has an active device. */
  sweepParked: 'sweep-parked',
  /** Periodic: drops parked messages older than the retention, recording each one. */
  purgeParked: 'purge-parked',
  /** Writes one spilled batch once Postgres is reachable again. */
  writeSpilledBatch: 'write-spilled-batch',
  /** Periodic: monthly readings partitions ahead of time and for backlog months. */
  ensurePartitions: 'ensure-partitions',
  /** Publishes one device's stored batch to its owner's forward topic. */
  forwardBatch: 'forward-batch',
  /** Periodic: deletes ingest_errors, device_inventory and orphan_devices rows past their retention. */
  purgeRetention: 'purge-retention',
} as const;

export const replayParkedJob = z.object({ token: z.string().min(1) });
export type ReplayParkedJob = z.infer<typeof replayParkedJob>;

/** Periodic jobs carry nothing. */
export const emptyJob = z.object({}).strict();
export type EmptyJob = z.infer<typeof emptyJob>;

const rejection = z.object({
  reason: z.enum(REJECT_REASONS),
  message: z.string(),
  item: z.unknown().optional(),
});

/** One message of a spilled batch, exactly as the batch writer takes it (payload in base64). */
export const spilledEntry = z.object({
  kind: z.enum(['readings', 'raw', 'hello', 'info', 'inventory', 'unroutable']),
  topic: z.string(),
  token: z.string().min(1).nullable(),
  payload: z.base64(),
  /** The size of the payload as received (absent in batches spilled by older ingestors). */
  payloadBytes: z.number().int().min(0).optional(),
  receivedAt: z.iso.datetime(),
  readings: z.array(
    z.object({ sensorId: z.number().int(), recordedAt: z.number().int(), value: z.number() }),
  ),
  messageRejection: rejection.nullable(),
  itemRejections: z.array(rejection),
  info: z.record(z.string(), z.unknown()).nullable(),
  /** Set when the message came from parked_messages (a replay). */
  parkedId: z.string().regex(/^\d+$/).nullable(),
});
export const writeSpilledBatchJob = z.object({ entries: z.array(spilledEntry).min(1) });
export type SpilledEntry = z.infer<typeof spilledEntry>;
export type WriteSpilledBatchJob = z.infer<typeof writeSpilledBatchJob>;

/**
 * One device's stored batch to forward. It carries the readings, so a forward retried through a
 * long broker outage does not depend on the live outbox's retention.
 */
export const forwardBatchJob = z.object({
  deviceId: z.number().int().positive(),
  readings: z
    .array(z.object({ sensorId: z.number().int(), recordedAt: z.iso.datetime(), value: z.number() }))
    .min(1),
});
export type ForwardBatchJob = z.infer<typeof forwardBatchJob>;

/** The job id of a batch's forward: a relay that repeats a page after a crash adds nothing twice. */
export function forwardJobId(txId: bigint, deviceId: number): string {
  return `forward-${txId}-${deviceId}`;
}

/** Forwards are retried while the broker is away, for days, with backoff capped at a minute. */
export const FORWARD_JOB_OPTIONS = {
  attempts: 100_000,
  backoff: { type: 'capped-exponential', delay: 500 },
  removeOnComplete: { count: 10_000 },
} as const;

/**
 * Job defaults, set once. Failed jobs are kept for inspection; completed ones are trimmed.
 * Spilled batches retry with exponential backoff capped by the processor (see SPILL_BACKOFF).
 */
export const DEFAULT_JOB_OPTIONS = {
  attempts: 10,
  backoff: { type: 'exponential', delay: 1000, jitter: 0.2 },
  removeOnComplete: { count: 1000 },
  removeOnFail: false,
} as const;

/** Store-and-forward jobs must survive a long outage: many attempts, backoff capped at a minute. */
export const SPILL_JOB_OPTIONS = {
  attempts: 100_000,
  backoff: { type: 'capped-exponential', delay: 500 },
} as const;
export const SPILL_BACKOFF_CAP_MS = 60_000;

/**
 * Enqueues a replay of `token`'s parked messages. One replay per token at a time: a second
 * request while one is waiting or running is merged into it (the running one reads until no
 * parked message is left), so concurrent replays cannot record a rejection twice.
 */
export function replayParkedJobOptions(token: string) {
  return { deduplication: { id: `replay-${token}` } };
}
