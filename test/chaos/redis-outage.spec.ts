import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { startRedis, type TestRedis } from '../../tools/harness/redis.js';
import { type ChaosContext, chaosContext } from './context.js';

const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 30_000);

let ctx: ChaosContext;
let redis: TestRedis;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 50 });
  redis = await startRedis();
});
afterAll(async () => {
  await ctx?.close();
  await redis?.stop();
});

it(`Redis unreachable for ${OUTAGE_MS / 1000} s mid-stream: readings keep flowing into Postgres`, async () => {
  const ingestor = await ctx.spawn({ MQTT_CLIENT_ID: 'rediscut', REDIS_URL: redis.url });
  const fleet = ctx.fleet(100);
  await fleet.start();
  await waitFor(
    () => ingestor.metric('sck_ingest_batches_total'),
    (n) => n >= 20,
    { what: 'traffic' },
  );
  await redis.kill();
  const before = await ingestor.metric('sck_ingest_batches_total');
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  const duringOutage = (await ingestor.metric('sck_ingest_batches_total')) - before;
  await redis.restart();
  await new Promise((resolve) => setTimeout(resolve, 2000));
  await fleet.stop();
  const verdict = await ctx.settle(fleet);
  ctx.record(`Redis unreachable ${OUTAGE_MS / 1000} s`, 1, fleet, verdict);
  // The ingest path never waits on Redis: batches kept committing through the whole outage.
  expect(duringOutage).toBeGreaterThan(OUTAGE_MS / 1000);
  expect(ingestor.child.exitCode).toBeNull();
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
});
