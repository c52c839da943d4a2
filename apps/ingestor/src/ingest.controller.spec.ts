import { describe, expect, it } from 'vitest';
import { IngestController } from './ingest.controller.js';
import type { MqttMessage } from './mqtt/mqtt-message.js';
import type { IngestMetrics } from './pipeline/ingest.metrics.js';
import type { IngestService } from './pipeline/ingest.service.js';

const message = (topic: string): MqttMessage => ({
  topic,
  route: null,
  payload: Buffer.from('x'),
  qos: 1,
  dup: false,
  receivedAt: new Date(),
  member: 0,
  retain: () => undefined,
});

describe('IngestController', () => {
  it('answers one outcome per message, and a message that throws fails alone', async () => {
    const counted: [string, number][] = [];
    const ingest = {
      ingest: (m: MqttMessage) => {
        if (m.topic === 'bad') throw new Error('decoder crashed');
        return Promise.resolve();
      },
    } as unknown as IngestService;
    const metrics = {
      messagesTaken: (kind: string, n: number) => counted.push([kind, n]),
    } as unknown as IngestMetrics;
    const controller = new IngestController(ingest, metrics);

    const outcomes = controller.onRawReadings([message('a'), message('bad'), message('c')]);

    expect(await Promise.allSettled(outcomes)).toEqual([
      { status: 'fulfilled', value: undefined },
      { status: 'rejected', reason: new Error('decoder crashed') },
      { status: 'fulfilled', value: undefined },
    ]);
    expect(counted).toEqual([['raw', 3]]);
  });
});
