import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { NOTHING_LOST } from '../helpers/context.js';
import { useChaosContext } from './context.js';

const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 30_000);

const ctx = useChaosContext({ devices: 50 });

it(`Redis unreachable for ${OUTAGE_MS / 1000} s mid-stream: readings keep flowing into Postgres`, async () => {
  const redis = await ctx.startRedis();
  const ingestor = await ctx.spawn({ MQTT_CLIENT_ID: 'rediscut', REDIS_URL: redis.url });
  const fleet = await ctx.trafficOn(ingestor, 20);
  const duringOutage = await ctx.outage({
    cut: () => redis.kill(),
    restore: () => redis.restart(),
    ms: OUTAGE_MS,
    count: () => ingestor.metric('sck_ingest_batches_total'),
  });
  await sleep(2000);
  const verdict = await ctx.finish(fleet, `Redis unreachable ${OUTAGE_MS / 1000} s`, 1);
  // The ingest path never waits on Redis: batches kept committing through the whole outage.
  expect(duringOutage).toBeGreaterThan(OUTAGE_MS / 1000);
  expect(ingestor.child.exitCode).toBeNull();
  expect(verdict).toMatchObject(NOTHING_LOST);
});
