import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canConnect, freePort } from './ports.js';
import { waitFor } from './poll.js';

export interface TestBroker {
  host: string;
  port: number;
  url: string;
  /** Stops the broker with `signal` (default SIGKILL), keeping its persistence file. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port with the same persistence directory. */
  restart(): Promise<void>;
  stop(): Promise<void>;
  /**
   * The shipped config only: the ingestor's credentials (written by deploy/mosquitto-auth.sh) and
   * the secret client id prefix and share group an operator gives it (docs/security.md).
   */
  ingestor?: { username: string; password: string; clientId: string; sharedSubscription: string };
  /** The shipped config only: publishes the ACL refused so far ("Denied PUBLISH" in its log). */
  deniedPublishes(): number;
}

export interface BrokerOptions {
  persistence?: boolean;
  /** Largest payload the broker accepts, bytes (0 = Mosquitto's default). */
  messageSizeLimit?: number;
  /** QoS 1 messages sent to a client awaiting its PUBACK (Mosquitto's default 20). */
  maxInflightMessages?: number;
  /**
   * Runs deploy/mosquitto.conf as shipped, with only its listener (a free port on 127.0.0.1), its
   * persistence directory and the paths of its password and ACL files changed (the files written
   * by deploy/mosquitto-auth.sh, as an operator does), plus logging to stderr. The other options
   * are ignored.
   */
  shipped?: boolean;
}

export const SHIPPED_MOSQUITTO_CONF = new URL('../../deploy/mosquitto.conf', import.meta.url);
const MOSQUITTO_AUTH_SCRIPT = new URL('../../deploy/mosquitto-auth.sh', import.meta.url);

/**
 * deploy/mosquitto.conf with its `listener`, `persistence_location`, `password_file` and
 * `acl_file` lines replaced: what an operator runs, on a port and in a directory of the test's
 * own. Debug logging lets the test count refused publishes.
 */
export function shippedMosquittoConf(port: number, dir: string): string {
  const lines = readFileSync(SHIPPED_MOSQUITTO_CONF, 'utf8')
    .split('\n')
    .map((line) => {
      if (/^\s*listener\s/.test(line)) return `listener ${port} 127.0.0.1`;
      if (/^\s*persistence_location\s/.test(line)) return `persistence_location ${dir}/`;
      if (/^\s*password_file\s/.test(line)) return `password_file ${dir}/auth/passwd`;
      if (/^\s*acl_file\s/.test(line)) return `acl_file ${dir}/auth/acl`;
      return line;
    });
  return [...lines, 'log_dest stderr', 'log_type error', 'log_type warning', 'log_type debug', ''].join('\n');
}

/** Writes the password and ACL files with deploy/mosquitto-auth.sh, from the environment given. */
function writeAuthFiles(dir: string, username: string, password: string): void {
  execFileSync('sh', [MOSQUITTO_AUTH_SCRIPT.pathname, join(dir, 'auth')], {
    env: { ...process.env, MQTT_USERNAME: username, MQTT_PASSWORD: password },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/**
 * A private Mosquitto on a free port, so a test can kill and restart it. Queue limits are raised:
 * with Mosquitto's default of 1000 queued messages a slow subscriber loses QoS 1 messages.
 */
export async function startMosquitto(options: BrokerOptions = {}): Promise<TestBroker> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'sck-mosquitto-'));
  // Started as root, Mosquitto drops to its own user: it must be able to write its persistence file.
  chmodSync(dir, 0o777);
  const conf = join(dir, 'mosquitto.conf');
  const secret = () => randomBytes(6).toString('hex');
  const ingestor = options.shipped
    ? {
        username: 'sck-ingest',
        password: randomBytes(18).toString('base64url'),
        clientId: `sck-ingest-${secret()}`,
        sharedSubscription: `$share/sck-ingest-${secret()}`,
      }
    : undefined;
  if (ingestor) writeAuthFiles(dir, ingestor.username, ingestor.password);
  writeFileSync(
    conf,
    options.shipped
      ? shippedMosquittoConf(port, dir)
      : [
          `listener ${port} 127.0.0.1`,
          'allow_anonymous true',
          'max_queued_messages 0',
          'max_queued_bytes 0',
          `max_inflight_messages ${options.maxInflightMessages ?? 20}`,
          'persistent_client_expiration 1h',
          // PUBACKs wait for the commit, so without it Nagle holds small PUBLISHes behind delayed TCP ACKs.
          'set_tcp_nodelay true',
          options.messageSizeLimit ? `message_size_limit ${options.messageSizeLimit}` : '',
          options.persistence
            ? `persistence true\npersistence_location ${dir}/\nautosave_interval 1`
            : 'persistence false',
          'log_dest stderr',
          'log_type error',
          'log_type warning',
          '',
        ].join('\n'),
  );
  let child: ChildProcess | undefined;
  let denied = 0;
  let partial = '';
  const countDenied = (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split('\n');
    partial = lines.pop() ?? '';
    denied += lines.filter((line) => line.includes('Denied PUBLISH')).length;
  };
  const launch = async () => {
    child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', options.shipped ? countDenied : () => undefined);
    await waitFor(() => canConnect(port), Boolean, { what: `mosquitto on port ${port}`, timeoutMs: 10_000 });
  };
  const exit = async (signal: NodeJS.Signals) => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill(signal);
    await exited;
  };
  await launch();
  return {
    host: '127.0.0.1',
    port,
    url: `mqtt://127.0.0.1:${port}`,
    kill: (signal: NodeJS.Signals = 'SIGKILL') => exit(signal),
    restart: launch,
    ingestor,
    deniedPublishes: () => denied,
    async stop() {
      await exit('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
