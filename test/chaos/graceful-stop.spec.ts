import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { type ChaosContext, chaosContext } from './context.js';

let ctx: ChaosContext;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 50 });
});
afterAll(() => ctx?.close());

it('rolling restart: SIGTERM flushes what the ingestor holds, exits 0 while its peer carries on, and it comes back to its queued share', async () => {
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
  // The peer carries on; the broker keeps the stopped replica's session and queues its share.
  const before = await staying.metric('sck_ingest_messages_total');
  await waitFor(
    () => staying.metric('sck_ingest_messages_total'),
    (n) => n >= before + 200,
    { what: 'peer traffic' },
  );
  // A rolling deploy starts it again with the same client id: it drains what was queued for it.
  const back = await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'leaving' });
  await waitFor(
    () => back.metric('sck_ingest_messages_total'),
    (n) => n >= 100,
    { what: 'the restarted replica to take its queued share' },
  );
  await fleet.stop();
  const verdict = await ctx.settle(fleet);
  ctx.record('rolling restart: SIGTERM one of two, back', 1, fleet, verdict);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
});
