import { EventEmitter } from 'node:events';
import type { Response } from 'express';
import { describe, expect, it } from 'vitest';
import type { ApiConfig } from '#config';
import {
  comparePositions,
  type LiveBatch,
  type LiveOutboxRepository,
  type LivePosition,
  type LiveRead,
} from '#db';
import { LiveStreamHub, STREAM_PAGE } from './live-stream.hub.js';
import { StreamClient } from './stream-client.js';

/** An outbox in memory: batches below `horizon` are readable, like live_outbox below pg_snapshot_xmin. */
class FakeOutbox {
  batches: LiveBatch[] = [];
  horizonTx = 1n;
  reads = 0;

  add(deviceId: number): void {
    const txId = this.horizonTx++;
    this.batches.push({
      txId,
      deviceId,
      readings: [{ sensorId: 55, recordedAt: new Date(Number(txId) * 1000), value: Number(txId) }],
      storedAt: new Date(),
      isPrivate: false,
      forwarded: false,
    });
  }

  readAfter(
    after: LivePosition,
    o: { limit: number; upTo?: LivePosition; deviceId?: number },
  ): Promise<LiveRead> {
    this.reads++;
    const found = this.batches.filter(
      (b) =>
        comparePositions(b, after) > 0 &&
        (!o.upTo || comparePositions(b, o.upTo) <= 0) &&
        (o.deviceId === undefined || b.deviceId === o.deviceId),
    );
    const page = found.slice(0, o.limit);
    const last = page.at(-1);
    return Promise.resolve({
      batches: page,
      through: last ? { txId: last.txId, deviceId: last.deviceId } : null,
      more: found.length > o.limit,
      pending: false,
    });
  }

  horizon(): Promise<LivePosition> {
    return Promise.resolve({ txId: this.horizonTx, deviceId: 0 });
  }
}

/** A response whose socket takes `room` more writes before pushing back, until drained. */
class FakeResponse extends EventEmitter {
  written: string[] = [];
  room = Infinity;
  writableNeedDrain = false;

  write(text: string): boolean {
    this.written.push(text);
    this.room--;
    if (this.room <= 0) this.writableNeedDrain = true;
    return !this.writableNeedDrain;
  }

  drain(): void {
    this.room = Infinity;
    this.writableNeedDrain = false;
    this.emit('drain');
  }

  end(): void {
    this.emit('close');
  }

  ids(): string[] {
    return this.written.filter((t) => t.startsWith('id: ')).map((t) => t.slice(4, t.indexOf('\n')));
  }
}

const config = { LIVE_ENABLED: true, LIVE_POLL_MS: 60_000, STREAM_MAX_CLIENTS: 10 } as ApiConfig;
const settle = () => new Promise((resolve) => setImmediate(resolve));

async function untilIdle(hub: LiveStreamHub) {
  for (let i = 0; i < 50; i++) await settle();
  return hub;
}

describe('LiveStreamHub', () => {
  it('a client whose socket pushes back leaves the live set, then catches up from the outbox: every batch once, in order', async () => {
    const outbox = new FakeOutbox();
    const hub = new LiveStreamHub(outbox as unknown as LiveOutboxRepository, config);
    const start = await hub.currentPosition();
    const fast = new FakeResponse();
    const slow = new FakeResponse();
    hub.add(new StreamClient(fast as unknown as Response, { publicOnly: true }, start));
    const slowClient = new StreamClient(slow as unknown as Response, { publicOnly: true }, start);
    hub.add(slowClient);
    await untilIdle(hub);
    slow.room = 3;
    const total = STREAM_PAGE * 3;
    for (let i = 0; i < total; i++) outbox.add((i % 5) + 1);
    for (let i = 0; i < 4; i++) {
      hub.wake();
      await untilIdle(hub);
    }
    expect(fast.ids()).toHaveLength(total);
    // Pushed back after 3 writes; nothing more is written to it until it drains.
    expect(slow.ids()).toHaveLength(3);
    expect(slowClient.live).toBe(false);
    slow.drain();
    await untilIdle(hub);
    const expected = outbox.batches.map((b) => `${b.txId}-${b.deviceId}`);
    expect(fast.ids()).toEqual(expected);
    expect(slow.ids()).toEqual(expected);
    expect(slowClient.live).toBe(true);
    await hub.onModuleDestroy();
  });

  it('resumes a client from its position, only its device, without repeating what it had', async () => {
    const outbox = new FakeOutbox();
    for (let i = 0; i < 20; i++) outbox.add((i % 2) + 1);
    const hub = new LiveStreamHub(outbox as unknown as LiveOutboxRepository, config);
    await hub.currentPosition();
    const response = new FakeResponse();
    hub.add(
      new StreamClient(
        response as unknown as Response,
        { deviceId: 2, publicOnly: true },
        { txId: 10n, deviceId: 2 },
      ),
    );
    await untilIdle(hub);
    outbox.add(2);
    outbox.add(1);
    hub.wake();
    await untilIdle(hub);
    expect(response.ids()).toEqual(['12-2', '14-2', '16-2', '18-2', '20-2', '21-2']);
    await hub.onModuleDestroy();
  });
});
