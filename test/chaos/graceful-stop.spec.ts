import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../helpers/poll.js';
import { type ChaosContext, chaosContext } from './context.js';

let ctx: ChaosContext;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 50 });
});
afterAll(() => ctx?.close());

it('SIGTERM: the ingestor flushes what it holds, disconnects and exits 0 while its peer carries on', async () => {
  const shared = { MQTT_SHARED_SUBSCRIPTION: '$share/rolling' };
  const leaving = await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'leaving', LOG_LEVEL: 'log' });
  const staying = await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'staying' });
  const fleet = ctx.fleet(100);
  await fleet.start();
  await waitFor(
    () => leaving.metric('sck_ingest_batches_total'),
    (n) => n >= 10,
    { what: 'traffic on both' },
  );
  const started = Date.now();
  const code = await leaving.kill('SIGTERM');
  const tookMs = Date.now() - started;
  expect(code).toBe(0);
  expect(tookMs).toBeLessThan(20_000); // SHUTDOWN_TIMEOUT_MS, the bound a rolling deploy relies on
  expect(leaving.output()).toContain('stopped cleanly');
  // Traffic after the stop goes to the remaining replica only.
  const before = await staying.metric('sck_ingest_messages_total');
  await waitFor(
    () => staying.metric('sck_ingest_messages_total'),
    (n) => n >= before + 200,
    { what: 'peer traffic' },
  );
  await fleet.stop();
  const verdict = await ctx.settle(fleet);
  ctx.record('SIGTERM one of two replicas', 1, fleet, verdict);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
});
