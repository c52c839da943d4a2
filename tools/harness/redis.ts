import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort } from './ports.js';
import { waitFor } from './poll.js';

export interface TestRedis {
  port: number;
  url: string;
  /**
   * Stops the server (SIGKILL). Without `aofAsShipped` it keeps nothing (no RDB, no AOF); with it,
   * its AOF stays in its data directory.
   */
  kill(): Promise<void>;
  /** Starts it again on the same port: empty, or (`aofAsShipped`) replaying its AOF. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export interface RedisOptions {
  /**
   * Runs Redis with the persistence every Redis setup we ship uses (docker-compose.yml: AOF on,
   * `appendfsync always`, `noeviction`) in a data directory of its own, so a SIGKILLed Redis comes
   * back with what it had acknowledged.
   */
  aofAsShipped?: boolean;
  /** With `aofAsShipped`: another fsync policy, to compare against what ships (bench only). */
  appendfsync?: 'always' | 'everysec';
  /** Clients must authenticate (and the URL carries it). */
  password?: string;
}

/** The persistence flags of the Redis in docker-compose.yml. */
export const SHIPPED_REDIS_PERSISTENCE = [
  '--appendonly',
  'yes',
  '--appendfsync',
  'always',
  '--maxmemory-policy',
  'noeviction',
];

/** A private redis-server on a free port, so a test can stop Redis without touching anyone else's. */
export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const port = await freePort();
  const dir = options.aofAsShipped ? mkdtempSync(join(tmpdir(), 'sck-redis-')) : undefined;
  const persistence = dir
    ? [
        '--save',
        '',
        ...SHIPPED_REDIS_PERSISTENCE,
        '--appendfsync',
        options.appendfsync ?? 'always',
        '--dir',
        dir,
      ]
    : ['--save', '', '--appendonly', 'no'];
  let child: ChildProcess | undefined;
  const launch = async () => {
    const auth = options.password ? ['--requirepass', options.password] : [];
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', ...persistence, ...auth], {
      stdio: 'ignore',
    });
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
  return {
    port,
    url: `redis://${options.password ? `:${options.password}@` : ''}127.0.0.1:${port}`,
    kill: exit,
    restart: launch,
    async stop() {
      await exit();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
