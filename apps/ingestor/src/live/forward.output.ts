import { Injectable } from '@nestjs/common';
import type { LiveBatch } from '#db';
import { FORWARD_JOB_OPTIONS, forwardJobId, JOBS } from '#queues';
import { QueueProducersService } from '../queues/queue-producers.service.js';
import type { LiveOutput } from './live-output.js';

/**
 * Forwarding: each batch of a forwarding device becomes a durable job (ForwardProcessor publishes
 * it), so a broker outage delays forwards instead of dropping them. Private devices forward too:
 * the topic is their owner's.
 */
@Injectable()
export class ForwardOutput implements LiveOutput {
  readonly name = 'forward';
  readonly only = 'forwarded';

  constructor(private readonly queues: QueueProducersService) {}

  async send(batches: LiveBatch[]): Promise<void> {
    for (const batch of batches) {
      if (!batch.forwarded) continue;
      await this.queues.forward.add(
        JOBS.forwardBatch,
        {
          deviceId: batch.deviceId,
          readings: batch.readings.map((r) => ({
            sensorId: r.sensorId,
            recordedAt: r.recordedAt.toISOString(),
            value: r.value,
          })),
        },
        { ...FORWARD_JOB_OPTIONS, jobId: forwardJobId(batch.txId, batch.deviceId) },
      );
    }
  }
}
