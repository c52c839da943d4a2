export interface Closable {
  name: string;
  close(): Promise<void>;
}

/**
 * SIGTERM / SIGINT: close every app (the ingestor flushes and acknowledges what it holds first),
 * then exit 0; exit 1 if closing takes longer than `timeoutMs` or fails. Nest's own shutdown hooks
 * re-raise the signal, which a supervisor reads as a crash; this exits cleanly instead.
 */
export function closeOnSignals(apps: Closable[], timeoutMs: number, log: (line: string) => void): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log(`${signal}: stopping ${apps.map((a) => a.name).join(', ')}`);
    const timer = setTimeout(() => {
      log(`still stopping after ${timeoutMs} ms; exiting`);
      process.exit(1);
    }, timeoutMs);
    timer.unref();
    // Close in the given order: the ingestor before the API (and before its database pool).
    apps
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
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
