import { Injectable } from '@nestjs/common';
import type { LiveBatch } from '#db';
import { firehoseTopic, liveReadingsMessage } from '#domain';
import type { LiveOutput } from './live-output.js';
import { LivePublisherAdapter } from './live-publisher.adapter.js';

/** The public firehose: each public device's batch on sck/v1/devices/<id>/readings, QoS 1. */
@Injectable()
export class FirehoseOutput implements LiveOutput {
  readonly name = 'firehose';
  readonly only = 'public';

  constructor(private readonly publisher: LivePublisherAdapter) {}

  async send(batches: LiveBatch[]): Promise<void> {
    // Private devices never reach the public tree; the device's privacy is read with the batch.
    const shown = batches.filter((b) => !b.isPrivate);
    await this.publisher.publishAll(
      shown.map((b) => ({
        topic: firehoseTopic(b.deviceId),
        payload: JSON.stringify(liveReadingsMessage(b)),
      })),
    );
  }
}
