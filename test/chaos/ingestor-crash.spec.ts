import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { type ChaosContext, chaosContext } from './context.js';
import { peakRssMb } from '../../tools/harness/chaos-results.js';

let ctx: ChaosContext;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 50 });
});
afterAll(() => ctx?.close());

it('ingestor SIGKILLed mid-stream and restarted: every acknowledged reading stored once', async () => {
  const env = { MQTT_CLIENT_ID: 'crashy' };
  let ingestor = await ctx.spawn(env);
  const fleet = ctx.fleet(100);
  await fleet.start();
  let rss = 0;
  for (let round = 0; round < 2; round++) {
    await waitFor(
      () => ingestor.metric('sck_ingest_batches_total'),
      (n) => n >= 20,
      { what: 'batches' },
    );
    rss = Math.max(rss, peakRssMb(ingestor.child.pid!));
    await ingestor.kill('SIGKILL');
    ingestor = await ctx.spawn(env);
  }
  await new Promise((r) => setTimeout(r, 2000)); // traffic keeps flowing after the last restart
  await fleet.stop();
  const verdict = await ctx.settle(fleet);
  ctx.record('ingestor SIGKILL x2', 2, fleet, verdict, { peakRssMb: rss });
  expect(fleet.acked.length).toBeGreaterThan(500);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
});
