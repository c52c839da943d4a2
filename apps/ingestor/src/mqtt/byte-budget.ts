/** What holding a message costs beyond its payload and topic: packet, message, promises, ack slot. */
export const MESSAGE_OVERHEAD_BYTES = 512;

/** The cost of a message as received, before its handler has decoded it. */
export const receivedCost = (payloadBytes: number, topicLength: number) =>
  payloadBytes + topicLength + MESSAGE_OVERHEAD_BYTES;

export interface HeldBytes {
  /** The handler now keeps `bytes` of the message (e.g. a 1 KB prefix of a rejected payload). */
  retain: (bytes: number) => void;
  /** The message settled: it holds nothing any more. */
  release: () => void;
}

/**
 * The MQTT pool's in-flight byte budget: what the messages it holds unsettled really cost. Above
 * the limit no member reads its next message until some are stored or cut down, so memory stays
 * bounded however large the messages that fill the windows.
 */
export class ByteBudget {
  private held = 0;
  private readonly waiters: (() => void)[] = [];

  constructor(private readonly limit: number) {}

  /** Bytes counted now. */
  get bytes(): number {
    return this.held;
  }

  /** Counts `bytes` for a message until it is released. */
  hold(bytes: number): HeldBytes {
    let mine = bytes;
    let settled = false;
    this.held += mine;
    const retain = (next: number) => {
      if (settled) return;
      this.held += next - mine;
      mine = next;
      while (this.waiters.length > 0 && this.held < this.limit) this.waiters.shift()!();
    };
    return {
      retain,
      release: () => {
        retain(0);
        settled = true;
      },
    };
  }

  /** Runs `next` (a member reading its next message) now, or once the budget has room. */
  whenRoom(next: () => void): void {
    if (this.held < this.limit) next();
    else this.waiters.push(next);
  }
}
