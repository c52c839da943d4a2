import type { LivePosition } from '#db';

/**
 * The pages an output has been handed and whose sending has not been waited for yet, oldest
 * first. The relay reads and hands over the next page while earlier ones are still being
 * acknowledged (the broker's PUBACKs, the queue's writes), and saves a position only once every
 * page up to it was sent: a failed page makes the relay start again from the saved position.
 */
export class SendWindow {
  private readonly pages: { through: LivePosition; done: Promise<void> }[] = [];

  /** A page handed to the output, its sending under way. */
  push(through: LivePosition, done: Promise<void>): void {
    // Its failure surfaces when settle() reaches it; until then it must not count as unhandled.
    done.catch(() => undefined);
    this.pages.push({ through, done });
  }

  get size(): number {
    return this.pages.length;
  }

  /**
   * Waits for the oldest pages, in order, until at most `keep` are left; returns how far the pages
   * waited for went (the position to save), null when none was waited for. Throws the first
   * failure.
   */
  async settle(keep: number): Promise<LivePosition | null> {
    let last: LivePosition | null = null;
    while (this.pages.length > keep) {
      const head = this.pages[0];
      await head.done;
      this.pages.shift();
      last = head.through;
    }
    return last;
  }
}
