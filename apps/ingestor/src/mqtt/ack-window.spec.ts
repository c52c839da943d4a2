import { PassThrough } from 'node:stream';
import { parser as mqttParser } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { AckWindow } from './ack-window.js';

/** A stream standing in for the broker connection: records each write and the PUBACK ids in it. */
function fakeStream() {
  const stream = new PassThrough();
  const writes: number[][] = [];
  stream.on('data', (chunk: Buffer) => {
    const ids: number[] = [];
    const parser = mqttParser({ protocolVersion: 5 });
    parser.on('packet', (packet) => {
      expect(packet.cmd).toBe('puback');
      ids.push(packet.messageId!);
    });
    parser.parse(chunk);
    writes.push(ids);
  });
  return { stream, writes };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

describe('AckWindow', () => {
  it('acknowledges in arrival order, holding a stored message behind an earlier unstored one', async () => {
    const { stream, writes } = fakeStream();
    const window = new AckWindow(10, 5);
    const [a, b, c] = [1, 2, 3].map((id) => window.take(stream, id));
    window.stored(b);
    window.stored(c);
    await turn();
    expect(writes).toEqual([]);
    window.stored(a);
    await turn();
    expect(writes).toEqual([[1, 2, 3]]);
    expect(window.size).toBe(0);
  });

  it('reports each PUBACK with its delay since the message was stored, once it is written', async () => {
    const { stream, writes } = fakeStream();
    const delays: number[] = [];
    const window = new AckWindow(10, 5, (seconds) => delays.push(seconds));
    const [a, b] = [1, 2].map((id) => window.take(stream, id));
    window.stored(b);
    await turn();
    expect(delays).toEqual([]);
    window.stored(a);
    await turn();
    expect(writes).toEqual([[1, 2]]);
    expect(delays).toHaveLength(2);
    // b was stored a turn before a: it waited longer for its PUBACK.
    expect(delays[1]).toBeGreaterThan(delays[0]);
    expect(delays.every((d) => d >= 0 && d < 5)).toBe(true);
  });

  it('sends the PUBACKs that became due in one turn of the event loop in one write', async () => {
    const { stream, writes } = fakeStream();
    const window = new AckWindow(10, 5);
    const slots = [7, 8, 9, 10].map((id) => window.take(stream, id));
    for (const slot of slots.slice(0, 3)) window.stored(slot);
    await turn();
    window.stored(slots[3]);
    await turn();
    expect(writes).toEqual([[7, 8, 9], [10]]);
  });

  it('hands over the next message only while the window has room', async () => {
    const { stream } = fakeStream();
    const window = new AckWindow(2, 5);
    const taken: number[] = [];
    const deliver = (id: number) => {
      const slot = window.take(stream, id);
      window.whenRoom(() => taken.push(id));
      return slot;
    };
    const first = deliver(1);
    deliver(2);
    expect(taken).toEqual([1]);
    window.stored(first);
    await turn();
    expect(taken).toEqual([1, 2]);
  });

  it('never acknowledges on a new connection what the old one delivered', async () => {
    const old = fakeStream();
    const window = new AckWindow(10, 5);
    const before = window.take(old.stream, 1);
    const fresh = fakeStream();
    const after = window.take(fresh.stream, 2);
    window.stored(before);
    window.stored(after);
    await turn();
    expect(old.writes).toEqual([]);
    expect(fresh.writes).toEqual([[2]]);
  });

  it('writes nothing to a destroyed connection', async () => {
    const { stream, writes } = fakeStream();
    const window = new AckWindow(10, 5);
    const slot = window.take(stream, 1);
    stream.destroy();
    window.stored(slot);
    await turn();
    expect(writes).toEqual([]);
    expect(window.size).toBe(0);
  });
});
