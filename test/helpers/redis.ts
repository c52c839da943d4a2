import { type ChildProcess, spawn } from 'node:child_process';
import { canConnect, freePort } from './ports.js';
import { waitFor } from './poll.js';

export interface TestRedis {
  port: number;
  url: string;
  /** Stops the server (SIGKILL); it keeps nothing (no RDB, no AOF). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A private redis-server on a free port, so a test can stop Redis without touching anyone else's.
 * With `password`, clients must authenticate (and the URL carries it).
 */
export async function startRedis(options: { password?: string } = {}): Promise<TestRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    child = spawn(
      'redis-server',
      [
        ...['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        ...(options.password ? ['--requirepass', options.password] : []),
      ],
      {
        stdio: 'ignore',
      },
    );
    await waitFor(() => canConnect(port), Boolean, { what: `redis on port ${port}`, timeoutMs: 10_000 });
  };
  const exit = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await launch();
  const auth = options.password ? `:${options.password}@` : '';
  return { port, url: `redis://${auth}127.0.0.1:${port}`, kill: exit, restart: launch, stop: exit };
}
