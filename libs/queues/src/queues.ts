import { z } from 'zod';

/**
 * Every BullMQ queue, job name and payload of the project, in one place. Producers live in
 * either app; processors only in the ingestor. Consumers re-parse `data` with these schemas.
 */
export const QUEUES = {
  /** Work that follows a device's registration or re-activation. */
  deviceLifecycle: 'device-lifecycle',
} as const;

export const JOBS = {
  /** Replays a token's parked messages through the ingest pipeline, in arrival order. */
  replayParked: 'replay-parked',
} as const;

export const replayParkedJob = z.object({ token: z.string().min(1) });
export type ReplayParkedJob = z.infer<typeof replayParkedJob>;
