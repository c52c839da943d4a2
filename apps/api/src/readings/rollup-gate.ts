import { ApiError } from '../common/api-error.js';

/**
 * Bounds the readings rollups running at once. A rollup can scan a million rows; without a bound a
 * few parallel ones hold every pooled connection and an unrelated cheap request waits behind them.
 * Requests past `maxRunning` wait in order; past `maxWaiting` waiting ones they get a 429.
 */
export class RollupGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly maxRunning: number,
    private readonly maxWaiting: number,
  ) {}

  async run<T>(work: () => Promise<T>): Promise<T> {
    if (this.running >= this.maxRunning) {
      if (this.waiting.length >= this.maxWaiting) {
        throw new ApiError(
          'enhance_your_calm',
          `Too many readings requests at once (${this.maxRunning} run, ${this.maxWaiting} wait): retry later`,
        );
      }
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      // The slot passes to the next waiter as is; otherwise it frees up.
      if (next) next();
      else this.running--;
    }
  }
}
