import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { startRedis, type TestRedis } from '../../tools/harness/redis.js';
import { startTcpProxy, type TcpProxy } from '../../tools/harness/tcp-proxy.js';
import { type ChaosContext, chaosContext } from './context.js';

const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 30_000);

let ctx: ChaosContext;
let proxy: TcpProxy;
let redis: TestRedis;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 50 });
  proxy = await startTcpProxy(Number(new URL(ctx.db.url).port || 5432));
  redis = await startRedis();
});
afterAll(async () => {
  await ctx?.close();
  await proxy?.close();
  await redis?.stop();
});

it(`Postgres unreachable for ${OUTAGE_MS / 1000} s mid-stream: batches spill to Redis and land once it is back`, async () => {
  const viaProxy = new URL(ctx.db.url);
  viaProxy.port = String(proxy.port);
  const ingestor = await ctx.spawn({
    MQTT_CLIENT_ID: 'pgcut',
    DATABASE_URL: viaProxy.toString(),
    REDIS_URL: redis.url,
    DB_RETRY_WINDOW_MS: '2000',
  });
  const fleet = ctx.fleet(100);
  await fleet.start();
  await waitFor(
    () => ingestor.metric('sck_ingest_batches_total'),
    (n) => n >= 20,
    { what: 'traffic' },
  );
  await proxy.cut();
  const taken = await ingestor.metric('sck_ingest_messages_total');
  await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
  // Kits kept being served while Postgres was away (their messages spilled and were acknowledged).
  const takenDuringOutage = (await ingestor.metric('sck_ingest_messages_total')) - taken;
  await proxy.open();
  await new Promise((resolve) => setTimeout(resolve, 3000));
  await fleet.stop();
  const verdict = await ctx.settle(fleet, 120_000);
  ctx.record(`Postgres unreachable ${OUTAGE_MS / 1000} s`, 1, fleet, verdict);
  expect(takenDuringOutage).toBeGreaterThan(0);
  expect(ingestor.child.exitCode).toBeNull();
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
});
