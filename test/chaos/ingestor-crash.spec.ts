import { expect, it } from 'vitest';
import { NOTHING_LOST } from '../helpers/context.js';
import { useChaosContext } from './context.js';
import { peakRssMb } from '../../tools/harness/chaos-results.js';

const ctx = useChaosContext({ devices: 50 });

it('ingestor SIGKILLed mid-stream and restarted: every acknowledged reading stored once', async () => {
  const env = { MQTT_CLIENT_ID: 'crashy' };
  let ingestor = await ctx.spawn(env);
  const fleet = await ctx.startFleet(100);
  let rss = 0;
  for (let round = 0; round < 2; round++) {
    await ctx.metricAtLeast(ingestor, 'sck_ingest_batches_total', 20, { what: 'batches' });
    rss = Math.max(rss, peakRssMb(ingestor.child.pid!));
    await ingestor.kill('SIGKILL');
    ingestor = await ctx.spawn(env);
  }
  await new Promise((r) => setTimeout(r, 2000)); // traffic keeps flowing after the last restart
  const verdict = await ctx.finish(fleet, 'ingestor SIGKILL x2', 2, { extra: { peakRssMb: rss } });
  expect(fleet.acked.length).toBeGreaterThan(500);
  expect(verdict).toMatchObject(NOTHING_LOST);
});
