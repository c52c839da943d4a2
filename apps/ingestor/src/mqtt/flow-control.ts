const DEFAULT_MAX_IN_FLIGHT_BYTES = 8 * 1024 * 1024;

/**
 * What the pool holds and how much more it may take: the messages whose work has not settled, the
 * payload bytes they hold (above the budget no member reads its next message) and the number of
 * QoS 0 messages in processing (they are acknowledged at once, so nothing else bounds them).
 */
export class FlowControl {
  readonly inFlight = new Set<Promise<unknown>>();
  private inFlightBytes = 0;
  private qos0InFlight = 0;
  private readonly byteWaiters: (() => void)[] = [];
  private readonly qos0Waiters: (() => void)[] = [];

  constructor(
    private readonly maxInFlightBytes = DEFAULT_MAX_IN_FLIGHT_BYTES,
    private readonly maxQos0InFlight = 1000,
  ) {}

  /** Tracks a message's work and counts its payload against the byte budget until it settles. */
  hold(work: Promise<unknown>, bytes: number): void {
    this.inFlight.add(work);
    this.inFlightBytes += bytes;
    const release = () => {
      this.inFlight.delete(work);
      this.inFlightBytes -= bytes;
      while (this.byteWaiters.length > 0 && this.inFlightBytes < this.maxInFlightBytes) {
        this.byteWaiters.shift()!();
      }
    };
    work.then(release, release);
  }

  /** Runs `next` (a member reading its next message) while the pool is under its byte budget. */
  whenBytesAllow(next: () => void): void {
    if (this.inFlightBytes < this.maxInFlightBytes) next();
    else this.byteWaiters.push(next);
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
