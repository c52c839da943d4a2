import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { startRedis, type TestRedis } from '../../tools/harness/redis.js';
import { startTcpProxy, type TcpProxy } from '../../tools/harness/tcp-proxy.js';
import { type ChaosContext, chaosContext } from './context.js';

let ctx: ChaosContext;
let proxy: TcpProxy;
let redis: TestRedis;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 40 });
  proxy = await startTcpProxy(Number(new URL(ctx.db.url).port || 5432));
  redis = await startRedis({ aofAsShipped: true });
});
afterAll(async () => {
  await ctx?.close();
  await proxy?.close();
  await redis?.stop();
});

it('Redis SIGKILLed right after batches spilled to it (AOF as shipped): every acknowledged reading stored once', async () => {
  const viaProxy = new URL(ctx.db.url);
  viaProxy.port = String(proxy.port);
  const ingestor = await ctx.spawn({
    MQTT_CLIENT_ID: 'spillkill',
    DATABASE_URL: viaProxy.toString(),
    REDIS_URL: redis.url,
    DB_RETRY_WINDOW_MS: '1000',
  });
  const fleet = ctx.fleet(100);
  await fleet.start();
  await waitFor(
    () => ingestor.metric('sck_ingest_batches_total'),
    (n) => n >= 10,
    { what: 'traffic' },
  );
  await proxy.cut();
  const spilled = await waitFor(
    () => ingestor.metric('sck_ingest_spilled_batches_total'),
    (n) => n >= 3,
    { what: 'batches spilled to Redis', intervalMs: 20, timeoutMs: 30_000 },
  );
  // Power loss right after the spills were acknowledged: nothing gets a chance to flush.
  await redis.kill();
  await redis.restart();
  await proxy.open();
  await new Promise((resolve) => setTimeout(resolve, 2000)); // traffic after the recovery
  await fleet.stop();
  const verdict = await ctx.settle(fleet, 120_000);
  ctx.record('Redis SIGKILL right after spills (AOF as shipped)', 2, fleet, verdict);
  expect(spilled).toBeGreaterThanOrEqual(3);
  expect(ingestor.child.exitCode).toBeNull();
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
});
