import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { NOTHING_LOST } from '../helpers/context.js';
import { waitFor } from '../../tools/harness/poll.js';
import { useChaosContext } from './context.js';
import { TS_NODE } from '../../tools/harness/typescript.js';

const ctx = useChaosContext({ devices: 40, broker: { shipped: true } });

/** `npm run ingestor:decommission` as an operator runs it: its exit code and output. */
function decommission(clientId: string): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    [...TS_NODE, 'scripts/ingestor-decommission.ts', '--client-id', clientId],
    {
      cwd: join(import.meta.dirname, '..', '..'),
      env: { ...process.env, NODE_ENV: 'test', DATABASE_URL: ctx.db.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, output })));
}

it('scale-down: one of two replicas decommissioned while kits publish; the last live member is refused', async () => {
  const shared = {
    MQTT_SHARED_SUBSCRIPTION: '$share/scale',
    MQTT_CONNECTIONS: '4',
    INGESTOR_HEARTBEAT_MS: '500',
    LOG_LEVEL: 'log',
  };
  const leaving = await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'scale-1' });
  const staying = await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'scale-2' });
  const fleet = await ctx.startFleet(100);
  await waitFor(
    async () =>
      (await staying.metric('sck_ingest_group_live_members')) === 2 &&
      (await leaving.metric('sck_ingest_messages_total')) >= 50,
    Boolean,
    { what: 'both replicas live and taking traffic' },
  );
  const done = await decommission('scale-1');
  expect(done.output).toContain('scale-1 decommissioned');
  expect(done.code).toBe(0);
  expect(await leaving.kill('SIGTERM')).toBe(0); // it had exited on its own; this returns its code
  expect(leaving.output()).toContain('decommissioned: sessions ended');
  // The broker now sends everything to the remaining replica.
  const before = await staying.metric('sck_ingest_messages_total');
  await ctx.metricAtLeast(staying, 'sck_ingest_messages_total', before + 200, {
    what: 'the remaining replica to take all traffic',
  });
  const refused = await decommission('scale-2');
  expect(refused.code).toBe(1);
  expect(refused.output).toContain(
    'refusing to decommission scale-2: it is the last live member of $share/scale',
  );
  const verdict = await ctx.finish(fleet, 'scale-down: 1 of 2 decommissioned, last refused', 1);
  expect(staying.child.exitCode).toBeNull();
  expect(await staying.metric('sck_ingest_group_live_members')).toBe(1);
  expect(verdict).toMatchObject(NOTHING_LOST);
});
