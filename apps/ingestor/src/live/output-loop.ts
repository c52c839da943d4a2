import type { LiveOutput } from './live-output.js';
import type { LiveRelayService } from './live-relay.service.js';

/** How often a follower ingestor asks whether it may lead; also the retry after a failed send. */
const RETRY_MS = 2000;
/**
 * Wait before reading again while a committed batch waits behind an older open transaction
 * (usually a batch about to commit; any open transaction that may write live_outbox holds the
 * horizon, see liveHorizon, and only batches notify), doubling up to PENDING_MAX_MS.
 */
const PENDING_MS = 10;
const PENDING_MAX_MS = 100;

/** The serialised loop of one output: one step at a time, again at once while batches wait. */
export class OutputLoop {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private pendingReads = 0;
  /** True while a delay no notification may cut short runs (retry, follower, paced backlog). */
  private held = false;

  constructor(
    private readonly output: LiveOutput,
    private readonly relay: LiveRelayService,
  ) {}

  wake(): void {
    if (this.held) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.run().finally(() => (this.running = undefined));
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    let delay: number;
    // Notifications shorten the poll, not the retry delay of a failing output or of a follower.
    let wakeable: boolean;
    try {
      const next = await this.relay.step(this.output);
      if (this.failing) this.relay.recovered(this.output);
      this.failing = false;
      wakeable = next !== null && typeof next !== 'object';
      this.pendingReads = next === 'pending' ? this.pendingReads + 1 : 0;
      delay =
        next === null
          ? RETRY_MS
          : next === 'pending'
            ? Math.min(PENDING_MS * 2 ** (this.pendingReads - 1), PENDING_MAX_MS)
            : typeof next === 'object'
              ? next.holdMs
              : next;
    } catch (error) {
      this.relay.report(this.output, error, !this.failing);
      this.failing = true;
      wakeable = false;
      delay = RETRY_MS;
    }
    if (this.relay.isStopped) return;
    if ((this.again && wakeable) || delay === 0) {
      this.again = false;
      setImmediate(() => this.wake());
    } else {
      this.again = false;
      this.held = !wakeable;
      this.timer = setTimeout(() => {
        this.held = false;
        this.wake();
      }, delay);
    }
  }
}
