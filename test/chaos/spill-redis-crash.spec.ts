import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { NOTHING_LOST } from '../helpers/context.js';
import { useChaosContext } from './context.js';

const ctx = useChaosContext({ devices: 40 });

it('Redis SIGKILLed right after batches spilled to it (AOF as shipped): every acknowledged reading stored once', async () => {
  const { ingestor, proxy, redis } = await ctx.spawnSpilling(
    { MQTT_CLIENT_ID: 'spillkill', DB_RETRY_WINDOW_MS: '1000' },
    { aofAsShipped: true },
  );
  const fleet = await ctx.trafficOn(ingestor, 10);
  await proxy.cut();
  const spilled = await ctx.metricAtLeast(ingestor, 'sck_ingest_spilled_batches_total', 3, {
    what: 'batches spilled to Redis',
    intervalMs: 20,
    timeoutMs: 30_000,
  });
  // Power loss right after the spills were acknowledged: nothing gets a chance to flush.
  await redis.kill();
  await redis.restart();
  await proxy.open();
  await sleep(2000); // traffic after the recovery
  const verdict = await ctx.finish(fleet, 'Redis SIGKILL right after spills (AOF as shipped)', 2, {
    timeoutMs: 120_000,
  });
  expect(spilled).toBeGreaterThanOrEqual(3);
  expect(ingestor.child.exitCode).toBeNull();
  expect(verdict).toMatchObject(NOTHING_LOST);
});
