/** Releases a resource now, once; `instead` replaces the closer registered for it (a gentler stop, say). */
export type Release = (instead?: () => Promise<unknown>) => Promise<void>;

/**
 * What the run has started (processes, brokers, pools, databases), closed newest first when the run
 * ends, however it ends. A phase that is done with a resource releases it early through the
 * function `defer` returns; the stack then skips it.
 */
export class CleanupStack {
  private readonly closers: (() => Promise<void>)[] = [];

  defer(close: () => Promise<unknown>): Release {
    let done = false;
    const run = async (instead?: () => Promise<unknown>) => {
      if (done) return;
      done = true;
      const index = this.closers.indexOf(run);
      if (index >= 0) this.closers.splice(index, 1);
      await (instead ?? close)();
    };
    this.closers.push(run);
    return run;
  }

  /** Runs every closer left, newest first; one that fails is reported and the rest still run. */
  async close(report: (line: string) => void): Promise<void> {
    for (const run of this.closers.reverse().splice(0)) {
      try {
        await run();
      } catch (error) {
        report(`cleanup: ${(error as Error).message}`);
      }
    }
  }
}
