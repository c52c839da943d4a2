import { setTimeout as sleep } from 'node:timers/promises';
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** What starting the server needs to know (EmbeddedPostgresOptions' part of it). */
export interface PostgresProcessOptions {
  dataDir: string;
  port: number;
  osUser: string;
}

/** The OS account PostgreSQL runs as when this process is root. */
export interface Account {
  uid: number;
  gid: number;
}

/** initdb and postgres refuse to run as root: run them as `name`, creating that system user if needed. */
export async function unprivilegedAccount(name: string, log: (line: string) => void): Promise<Account> {
  const existing = await lookupAccount(name);
  if (existing) return existing;
  log(`running as root: creating the system user "${name}" for the embedded PostgreSQL`);
  try {
    await run('useradd', [
      '--system',
      '--user-group',
      '--no-create-home',
      '--home-dir',
      '/nonexistent',
      '--shell',
      '/usr/sbin/nologin',
      name,
    ]);
  } catch (error) {
    // Another process may have created it meanwhile; anything else is reported.
    const created = await lookupAccount(name);
    if (created) return created;
    throw new Error(
      `PostgreSQL does not run as root, and creating the user "${name}" failed (${(error as Error).message.trim()}): create an unprivileged user and set EMBEDDED_POSTGRES_OS_USER to it, run npm start as a normal user, or set DATABASE_URL`,
      { cause: error },
    );
  }
  const created = await lookupAccount(name);
  if (!created) throw new Error(`useradd ${name} succeeded but the user cannot be found`);
  return created;
}

async function lookupAccount(name: string): Promise<Account | undefined> {
  try {
    const [uid, gid] = await Promise.all([run('id', ['-u', name]), run('id', ['-g', name])]);
    return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  } catch {
    return undefined;
  }
}

/** The postgres server process on `dataDir`, its output piped (nothing read yet). */
export function spawnPostgres(
  binary: string,
  options: PostgresProcessOptions,
  account: Account | undefined,
): ChildProcess {
  return spawn(
    binary,
    [
      '-D',
      options.dataDir,
      '-p',
      String(options.port),
      // Loopback only, and every connection authenticates with a password (pg_hba.conf).
      '-c',
      'listen_addresses=127.0.0.1',
      // No Unix socket: its default directory may not exist or belong to another PostgreSQL.
      '-c',
      'unix_socket_directories=',
    ],
    // A process group of its own: Ctrl-C in a terminal signals the whole foreground group, and
    // the server must stop last, from stop(), not at once with the ingestor still storing.
    {
      ...account,
      env: { ...process.env, LC_ALL: 'C' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    },
  );
}

/** Polls until the server answers `SELECT 1`; gives up at the deadline or once `signal` aborts. */
export async function waitUntilAccepting(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    const client = new pg.Client({ connectionString: `${url}/postgres`, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if (Date.now() > deadline) {
        throw new Error(`PostgreSQL did not accept connections within ${timeoutMs} ms: ${String(error)}`, {
          cause: error,
        });
      }
    } finally {
      await client.end().catch(() => undefined);
    }
    await sleep(100);
  }
}

export function explainSpawnError(error: Error, binary: string, osUser: string): Error {
  if ((error as NodeJS.ErrnoException).code === 'EACCES') {
    return new Error(
      `cannot run ${binary} as the OS user "${osUser}": every directory above it must be readable by that user (a project under /root is not)`,
    );
  }
  return error;
}

export function hintFor(output: string[], options: PostgresProcessOptions): string {
  const text = output.join('\n');
  if (/could not bind|Address already in use/.test(text)) {
    return `\nPort ${options.port} is taken: set EMBEDDED_POSTGRES_PORT to a free port, or DATABASE_URL to use that server.`;
  }
  if (/lock file "postmaster.pid" already exists/.test(text)) {
    return `\nAnother PostgreSQL runs on ${options.dataDir} (an npm start that was killed, or one still running); its pid is the first line of ${join(options.dataDir, 'postmaster.pid')}.`;
  }
  return '';
}
