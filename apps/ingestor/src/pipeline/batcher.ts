export interface BatcherOptions {
  /** Flush once the pending entries hold this many rows. */
  maxRows: number;
  /** Flush at the latest this long after the oldest pending entry arrived. */
  maxWaitMs: number;
  /**
   * The most entries that can be in the batcher at once (the MQTT pool's unacknowledged
   * messages: connections × receive maximum). Once that many are pending or being written,
   * nothing more can arrive until a batch commits: flush at once.
   */
  flushAtEntries: number;
  /**
   * Batches written at the same time. With more than one, a batch is also due once it holds
   * flushAtEntries / maxConcurrentFlushes entries while a flush slot is free, so the producers
   * of one batch receive their next messages while another batch is being written, instead of
   * the whole pool waiting on every commit.
   */
  maxConcurrentFlushes: number;
}

/** Time constant of the share of time the batcher spends full (see `saturated`). */
export const FULL_SHARE_TAU_MS = 250;

interface Pending<E> {
  entry: E;
  /** When it was submitted (Date.now()). */
  at: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Collects entries and hands them to `write` in batches; each `submit` settles when the batch that
 * held its entry was written (or failed). Knows nothing of MQTT or Postgres.
 */
export class Batcher<E extends { rows: number }> {
  private pending: Pending<E>[] = [];
  private pendingRows = 0;
  private timer: NodeJS.Timeout | undefined;
  private full = false;
  private fullShare = 0;
  private fullChangedAt = performance.now();
  private flushing = 0;
  /** Entries in batches being written. */
  private writing = 0;

  constructor(
    private readonly options: BatcherOptions,
    private readonly write: (entries: E[]) => Promise<void>,
  ) {}

  submit(entry: E): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.pending.push({ entry, at: Date.now(), resolve, reject });
      this.pendingRows += entry.rows;
      this.noteFill();
      this.schedule();
    });
  }

  /**
   * True while the batcher has been full (every write slot busy and a whole batch waiting for one)
   * for most of the last quarter second or so: storing is the process's bottleneck (a backlog
   * draining, an overload), not a burst of live traffic. The share is a moving average with a time
   * constant of FULL_SHARE_TAU_MS.
   */
  get saturated(): boolean {
    return this.fullShareAt(performance.now()) >= 0.5;
  }

  private isFull(): boolean {
    return this.flushing >= this.options.maxConcurrentFlushes && this.pendingRows >= this.options.maxRows;
  }

  /** The moving average of the time spent full, at `now`, from the last change on. */
  private fullShareAt(now: number): number {
    const state = this.full ? 1 : 0;
    return state + (this.fullShare - state) * Math.exp(-(now - this.fullChangedAt) / FULL_SHARE_TAU_MS);
  }

  /** Folds the time since the last change into the average, then takes the current state. */
  private noteFill(): void {
    const full = this.isFull();
    if (full === this.full) return;
    const now = performance.now();
    this.fullShare = this.fullShareAt(now);
    this.fullChangedAt = now;
    this.full = full;
  }

  /** Entries waiting, batches being written and the entries in them, for metrics. */
  get depth(): { pending: number; flushing: number; writing: number } {
    return { pending: this.pending.length, flushing: this.flushing, writing: this.writing };
  }

  private schedule(): void {
    if (this.pending.length === 0) return;
    const { flushAtEntries, maxConcurrentFlushes } = this.options;
    // What stayed behind a batch cut at maxRows keeps its own age, not the age of the cut.
    const oldestAt = this.pending[0].at;
    const due =
      this.pendingRows >= this.options.maxRows ||
      this.pending.length + this.writing >= flushAtEntries ||
      (this.flushing < maxConcurrentFlushes &&
        this.pending.length >= flushAtEntries / maxConcurrentFlushes) ||
      Date.now() - oldestAt >= this.options.maxWaitMs;
    if (due) {
      this.flush();
    } else if (!this.timer) {
      const wait = Math.max(0, oldestAt + this.options.maxWaitMs - Date.now());
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.flush();
      }, wait);
    }
  }

  private flush(): void {
    if (this.pending.length === 0 || this.flushing >= this.options.maxConcurrentFlushes) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    let rows = 0;
    let take = 0;
    while (take < this.pending.length && (take === 0 || rows < this.options.maxRows)) {
      rows += this.pending[take].entry.rows;
      take++;
    }
    const batch = this.pending.splice(0, take);
    this.pendingRows -= rows;
    this.flushing++;
    this.writing += batch.length;
    this.noteFill();
    this.write(batch.map((p) => p.entry))
      .then(
        () => batch.forEach((p) => p.resolve()),
        (error: unknown) => batch.forEach((p) => p.reject(error)),
      )
      .finally(() => {
        this.flushing--;
        this.writing -= batch.length;
        this.schedule();
        this.noteFill();
      });
  }
}
