import { ByteBudget, type HeldBytes } from './byte-budget.js';

const DEFAULT_MAX_IN_FLIGHT_BYTES = 8 * 1024 * 1024;

/**
 * What the pool holds and how much more it may take: the messages whose work has not settled, the
 * bytes they really cost (above the budget no member reads its next message; see ByteBudget) and
 * the number of QoS 0 messages in processing (they are acknowledged at once, so nothing else
 * bounds them).
 */
export class FlowControl {
  readonly inFlight = new Set<Promise<unknown>>();
  private readonly budget: ByteBudget;
  private qos0InFlight = 0;
  private readonly qos0Waiters: (() => void)[] = [];

  constructor(
    maxInFlightBytes = DEFAULT_MAX_IN_FLIGHT_BYTES,
    private readonly maxQos0InFlight = 1000,
  ) {
    this.budget = new ByteBudget(maxInFlightBytes);
  }

  /** Bytes counted against the budget now. */
  get bytes(): number {
    return this.budget.bytes;
  }

  /** Counts `bytes` for a message as received; its handler may revise them through `retain`. */
  holdBytes(bytes: number): HeldBytes {
    return this.budget.hold(bytes);
  }

  /** Tracks a message's work; its bytes are released once the work settles. */
  track(work: Promise<unknown>, held: HeldBytes): void {
    this.inFlight.add(work);
    const release = () => {
      this.inFlight.delete(work);
      held.release();
    };
    work.then(release, release);
  }

  /** Runs `next` (a member reading its next message) while the pool is under its byte budget. */
  whenBytesAllow(next: () => void): void {
    this.budget.whenRoom(next);
  }

  /** Resolves once fewer than the maximum QoS 0 messages are in processing, counting this one. */
  async acquireQos0Slot(work: Promise<unknown>): Promise<void> {
    this.qos0InFlight++;
    const release = () => {
      this.qos0InFlight--;
      this.qos0Waiters.shift()?.();
    };
    work.then(release, release);
    if (this.qos0InFlight > this.maxQos0InFlight) {
      await new Promise<void>((resolve) => this.qos0Waiters.push(resolve));
    }
  }
}
