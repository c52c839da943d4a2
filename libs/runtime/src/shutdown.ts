export interface Closable {
  name: string;
  close(): Promise<void>;
}

/** Starts an ordered stop (once per process) for `reason`, closing `apps` in their order. */
export type Stop = (reason: string, apps?: Closable[]) => void;

/**
 * SIGTERM / SIGINT: close every app (the ingestor flushes and acknowledges what it holds first),
 * then exit 0; exit 1 if closing takes longer than `timeoutMs` or fails. Nest's own shutdown hooks
 * re-raise the signal, which a supervisor reads as a crash; this exits cleanly instead. The
 * returned `stop` runs the same sequence for another reason (a decommission request), optionally
 * with other close steps; whichever comes first wins.
 */
export function closeOnSignals(apps: Closable[], timeoutMs: number, log: (line: string) => void): Stop {
  let stopping = false;
  const stop: Stop = (reason, steps = apps) => {
    if (stopping) return;
    stopping = true;
    log(`${reason}: stopping ${steps.map((a) => a.name).join(', ')}`);
    const timer = setTimeout(() => {
      log(`still stopping after ${timeoutMs} ms; exiting`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    // Close in the given order: the ingestor before the API (and before its database pool).
    steps
      .reduce((previous, a) => previous.then(() => a.close()), Promise.resolve())
      .then(
        () => {
          log('stopped cleanly');
          process.exit(0);
        },
        (error: unknown) => {
          log(`error while stopping: ${String(error)}`);
          process.exit(1);
        },
      );
  };
  // Kept for the whole stop: a repeated signal (Ctrl-C reaches `npm start` and, forwarded by npm,
  // this process again) must not fall through to Node's default handler and kill the process.
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  return stop;
}
