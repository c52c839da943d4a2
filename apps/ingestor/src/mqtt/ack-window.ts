import type { Writable } from 'node:stream';
import { generate } from 'mqtt-packet';

/**
 * Passed to MQTT.js's handleMessage callback to take the next packet without sending a PUBACK:
 * on an error MQTT.js skips its own PUBACK (handlers/publish.js) and moves on. The window below
 * sends it once the message is stored. test/integration/ack-after-commit.spec.ts pins that behaviour
 * against a real broker: a PUBACK sent early would lose the messages its SIGKILL test expects back.
 */
export const ACK_DEFERRED = new Error('PUBACK deferred until the message is stored');
ACK_DEFERRED.stack = undefined;

export interface AckSlot {
  readonly messageId: number;
  stored: boolean;
  /** performance.now() when the message was stored, for the commit → PUBACK latency. */
  storedAt?: number;
}

/**
 * The unacknowledged QoS 1 messages of one MQTT connection, in the order they arrived.
 *
 * MQTT.js hands a connection its next packet only after the current one is acknowledged, which
 * leaves one message in flight per connection: batching then needs hundreds of connections, each
 * costing a read and a write system call per message (bench/HISTORY.md, "Tuning"). With this
 * window a connection holds up to `limit` messages (the Receive Maximum it announces): PUBACKs go
 * out only once their messages are stored, in the order the PUBLISHes arrived as MQTT requires
 * [MQTT-4.6.0-2], and those that become due in one turn of the event loop leave in one write.
 *
 * The window belongs to one network stream. When the connection drops, what it held is forgotten
 * without acknowledgement: the broker redelivers it to the resumed session, and the readings'
 * unique key stores it once.
 */
export class AckWindow {
  private queue: AckSlot[] = [];
  private stream: Writable | undefined;
  private waiting: (() => void)[] = [];
  private flushScheduled = false;

  constructor(
    private readonly limit: number,
    private readonly protocolVersion: 4 | 5,
    /** Called with each PUBACK's delay after its message was stored, in seconds. */
    private readonly onAcked: (seconds: number) => void = () => undefined,
  ) {}

  /** Messages received and not yet acknowledged. */
  get size(): number {
    return this.queue.length;
  }

  /** Records a message delivered on `stream`; acknowledge it later with `stored(slot)`. */
  take(stream: Writable, messageId: number): AckSlot {
    if (stream !== this.stream) this.reset(stream);
    const slot: AckSlot = { messageId, stored: false };
    this.queue.push(slot);
    return slot;
  }

  /** The message is safely stored: its PUBACK leaves once every earlier message's has. */
  stored(slot: AckSlot): void {
    slot.stored = true;
    slot.storedAt = performance.now();
    if (this.flushScheduled || this.queue[0] !== slot) return;
    this.flushScheduled = true;
    // After the microtasks of the same commit have run, so its other messages join this write.
    setImmediate(() => this.flush());
  }

  /** Calls `next` now if the window has room, or once acknowledgements have made room. */
  whenRoom(next: () => void): void {
    if (this.queue.length < this.limit) next();
    else this.waiting.push(next);
  }

  private flush(): void {
    this.flushScheduled = false;
    let due = 0;
    while (due < this.queue.length && this.queue[due].stored) due++;
    if (due === 0) return;
    const acked = this.queue.splice(0, due);
    const stream = this.stream;
    if (stream && !stream.destroyed && stream.writable) {
      const opts = { protocolVersion: this.protocolVersion };
      const packets = acked.map(({ messageId }) => generate({ cmd: 'puback', messageId }, opts));
      stream.write(packets.length === 1 ? packets[0] : Buffer.concat(packets));
      const now = performance.now();
      for (const slot of acked) this.onAcked((now - (slot.storedAt ?? now)) / 1000);
    }
    this.release();
  }

  private release(): void {
    while (this.waiting.length > 0 && this.queue.length < this.limit) this.waiting.shift()!();
  }

  /** A new stream: nothing the old one delivered may be acknowledged on it. */
  private reset(stream: Writable): void {
    this.stream = stream;
    this.queue = [];
    // The old stream's packet loop is gone; letting its waiters run only lets MQTT.js drop them.
    const waiting = this.waiting;
    this.waiting = [];
    for (const next of waiting) next();
  }
}
