import { type ChildProcess, spawn } from 'node:child_process';
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
}

export interface BrokerOptions {
  persistence?: boolean;
  /** Largest payload the broker accepts, bytes (0 = Mosquitto's default). */
  messageSizeLimit?: number;
  /** QoS 1 messages sent to a client awaiting its PUBACK (Mosquitto's default 20). */
  maxInflightMessages?: number;
  /**
   * Runs deploy/mosquitto.conf as shipped, with only its listener (a free port on 127.0.0.1) and
   * its persistence directory changed, plus logging to stderr. The other options are ignored.
   */
  shipped?: boolean;
}

export const SHIPPED_MOSQUITTO_CONF = new URL('../../deploy/mosquitto.conf', import.meta.url);

/**
 * deploy/mosquitto.conf with its `listener` and `persistence_location` lines replaced: what an
 * operator runs, on a port and in a directory of the test's own.
 */
export function shippedMosquittoConf(port: number, dir: string): string {
  const lines = readFileSync(SHIPPED_MOSQUITTO_CONF, 'utf8')
    .split('\n')
    .map((line) => {
      if (/^\s*listener\s/.test(line)) return `listener ${port} 127.0.0.1`;
      if (/^\s*persistence_location\s/.test(line)) return `persistence_location ${dir}/`;
      return line;
    });
  return [...lines, 'log_dest stderr', 'log_type error', 'log_type warning', ''].join('\n');
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
  const launch = async () => {
    child = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
    child.stderr?.on('data', () => undefined);
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
    async stop() {
      await exit('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
