import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { freePort } from '../../tools/harness/ports.js';
import { waitFor } from '../../tools/harness/poll.js';
import { ROOT, TS_NODE as TS } from '../../tools/harness/typescript.js';

export { ROOT, TS };

/**
 * As root, the embedded PostgreSQL runs as an unprivileged user that must reach the server
 * binaries in node_modules: impossible from a checkout under a directory others cannot enter
 * (/root). Start-up refuses with that explanation there; single-node tests then have nothing to
 * prove. Returns the blocking directory (and warns), or null.
 */
export function embeddedBlocked(): string | null {
  if (process.getuid?.() !== 0) return null;
  for (let dir = ROOT; dir !== dirname(dir); dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) {
      console.warn(`single-node test skipped: ${dir} is not searchable by other users`);
      return dir;
    }
  }
  return null;
}

export interface SingleNode {
  /** The temporary directory; the data directory is `<dir>/data`. */
  dir: string;
  env: NodeJS.ProcessEnv;
  ports: { api: number; ingestor: number; mqtt: number; postgres: number };
}

/**
 * The environment of `npm start` with nothing external: no DATABASE_URL, MQTT_HOST or REDIS_URL,
 * a temporary data directory and free ports; libpq's defaults point at an unused port, so an
 * accidental connection to the machine's PostgreSQL (or Redis, or Mosquitto) fails the test.
 */
export async function prepareSingleNode(extra: Record<string, string> = {}): Promise<SingleNode> {
  const dir = mkdtempSync(join(tmpdir(), 'sck-embedded-'));
  // When the tests run as root, PostgreSQL runs as an unprivileged user that must reach its data.
  chmodSync(dir, 0o755);
  const ports = {
    api: await freePort(),
    ingestor: await freePort(),
    mqtt: await freePort(),
    postgres: await freePort(),
  };
  const unused = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of [
    'DATABASE_URL',
    'REDIS_URL',
    'MQTT_HOST',
    'MQTT_PORT',
    'MQTT_USERNAME',
    'MQTT_PASSWORD',
    'NODE_ENV',
  ])
    delete env[key];
  Object.assign(env, {
    PGHOST: '127.0.0.1',
    PGPORT: String(unused),
    EMBEDDED_DATA_DIR: join(dir, 'data'),
    EMBEDDED_POSTGRES_PORT: String(ports.postgres),
    EMBEDDED_MQTT_PORT: String(ports.mqtt),
    PORT: String(ports.api),
    INGESTOR_PORT: String(ports.ingestor),
    HOST: '127.0.0.1',
    ...extra,
  });
  return { dir, env, ports };
}

/** Stops the system, a PostgreSQL a failed assertion left behind, and removes the directory. */
export async function removeSingleNode(node: SingleNode | undefined, system: StartedSystem | undefined) {
  await system?.stop();
  if (!node) return;
  const pidFile = join(node.dir, 'data', 'postgres', 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      process.kill(pid, 'SIGINT');
    } catch {
      // not running
    }
  }
  rmSync(node.dir, { recursive: true, force: true });
}

export interface StartedSystem {
  child: ChildProcess;
  output(): string;
  /** SIGTERM, resolving with the exit code. */
  stop(): Promise<number | null>;
}

/** The `npm start` entry point as a child process; resolves once the REST API answers /ready. */
export async function startSystem(env: NodeJS.ProcessEnv, apiPort: number): Promise<StartedSystem> {
  let log = '';
  const child = spawn(process.execPath, [...TS, 'scripts/start.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const died = exited.then((code) => {
    throw new Error(`npm start exited early (${code})`);
  });
  const ready = waitFor(
    async () =>
      (await fetch(`http://127.0.0.1:${apiPort}/ready`)).ok && log.includes('Ctrl-C stops everything'),
    Boolean,
    { what: 'npm start to be ready', timeoutMs: 45_000, intervalMs: 200 },
  );
  await Promise.race([ready, died]).catch(async (error: Error) => {
    child.kill('SIGTERM');
    await exited;
    throw new Error(`${error.message}\n--- output ---\n${log}`);
  });
  died.catch(() => undefined);
  return {
    child,
    output: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
