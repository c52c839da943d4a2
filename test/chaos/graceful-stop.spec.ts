import { expect, it } from 'vitest';
import { NOTHING_LOST } from '../helpers/context.js';
import { useChaosContext } from './context.js';

const ctx = useChaosContext({ devices: 50 });

it('rolling restart: SIGTERM flushes what the ingestor holds, exits 0 while its peer carries on, and it comes back to its queued share', async () => {
  const shared = { MQTT_SHARED_SUBSCRIPTION: '$share/rolling' };
  const leaving = await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'leaving', LOG_LEVEL: 'log' });
  const staying = await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'staying' });
  const fleet = await ctx.startFleet(100);
  await ctx.metricAtLeast(leaving, 'sck_ingest_batches_total', 10, { what: 'traffic on both' });
  const started = Date.now();
  const code = await leaving.kill('SIGTERM');
  const tookMs = Date.now() - started;
  expect(code).toBe(0);
  expect(tookMs).toBeLessThan(20_000); // SHUTDOWN_TIMEOUT_MS, the bound a rolling deploy relies on
  expect(leaving.output()).toContain('stopped cleanly');
  // The peer carries on; the broker keeps the stopped replica's session and queues its share.
  const before = await staying.metric('sck_ingest_messages_total');
  await ctx.metricAtLeast(staying, 'sck_ingest_messages_total', before + 200, { what: 'peer traffic' });
  // A rolling deploy starts it again with the same client id: it drains what was queued for it.
  const back = await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'leaving' });
  await ctx.metricAtLeast(back, 'sck_ingest_messages_total', 100, {
    what: 'the restarted replica to take its queued share',
  });
  const verdict = await ctx.finish(fleet, 'rolling restart: SIGTERM one of two, back', 1);
  expect(verdict).toMatchObject(NOTHING_LOST);
});
