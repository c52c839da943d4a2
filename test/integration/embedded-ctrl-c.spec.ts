import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import {
  ROOT,
  TS,
  type SingleNode,
  embeddedBlocked,
  prepareSingleNode,
  removeSingleNode,
} from '../helpers/single-node.js';

const blocked = embeddedBlocked();

/**
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group, and `npm start`
 * forwards it to its child once more. The embedded PostgreSQL must not take that signal itself
 * (it would shut down before the ingestor has stored what it holds), and the second SIGINT must
 * not kill the process in the middle of its ordered stop.
 */
describe.skipIf(blocked !== null)('single-node mode stopped with Ctrl-C', () => {
  let node: SingleNode;

  beforeAll(async () => {
    node = await prepareSingleNode();
  });

  afterAll(() => removeSingleNode(node, undefined));

  it('stops the ingestor, the API and the broker before PostgreSQL, and exits 0', async () => {
    let log = '';
    // A process group of its own, as a shell gives a foreground job.
    const child = spawn(process.execPath, [...TS, 'scripts/start.ts'], {
      cwd: ROOT,
      env: node.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
    try {
      await waitFor(
        async () =>
          (await fetch(`http://127.0.0.1:${node.ports.api}/ready`).catch(() => undefined))?.ok === true &&
          log.includes('Ctrl-C stops everything'),
        Boolean,
        { what: 'npm start to be ready', timeoutMs: 45_000, intervalMs: 200 },
      );

      process.kill(-child.pid!, 'SIGINT'); // the terminal: every process of the group
      // npm forwarding it to its child, once the stop is under way (two signals sent back to back
      // would merge into one).
      await waitFor(() => log.includes('SIGINT: stopping'), Boolean, {
        what: 'the stop to begin',
        timeoutMs: 10_000,
        intervalMs: 5,
      });
      process.kill(child.pid!, 'SIGINT');

      expect(await exited, log).toEqual({ code: 0, signal: null });
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    const stopping = log.indexOf('SIGINT: stopping ingestor, api, embedded MQTT broker, embedded PostgreSQL');
    const postgresStops = log.indexOf('received fast shutdown request');
    expect(stopping, log).toBeGreaterThan(-1);
    expect(postgresStops, log).toBeGreaterThan(stopping);
    expect(log).toContain('stopped cleanly');
  });
});
