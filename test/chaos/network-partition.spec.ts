import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { startTcpProxy, type TcpProxy } from '../../tools/harness/tcp-proxy.js';
import { type ChaosContext, chaosContext } from './context.js';

const PARTITION_MS = 20_000;

let ctx: ChaosContext;
let proxy: TcpProxy;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 40, broker: { shipped: true } });
  proxy = await startTcpProxy(ctx.broker.port);
});
afterAll(async () => {
  await ctx?.close();
  await proxy?.close();
});

it(`network partition between ingestor and broker for ${PARTITION_MS / 1000} s (no FIN, no RST): nothing lost, the reconnect logged`, async () => {
  const ingestor = await ctx.spawn({
    MQTT_CLIENT_ID: 'partitioned',
    MQTT_PORT: String(proxy.port),
    MQTT_KEEPALIVE_SECONDS: '5',
    LOG_LEVEL: 'log',
  });
  const fleet = ctx.fleet(100);
  await fleet.start();
  await waitFor(
    () => ingestor.metric('sck_ingest_batches_total'),
    (n) => n >= 10,
    { what: 'traffic' },
  );
  proxy.partition();
  await new Promise((resolve) => setTimeout(resolve, PARTITION_MS));
  proxy.heal();
  const before = await ingestor.metric('sck_ingest_messages_total');
  await waitFor(
    () => ingestor.metric('sck_ingest_messages_total'),
    (n) => n >= before + 300,
    { what: 'traffic after the partition', timeoutMs: 90_000, intervalMs: 500 },
  );
  await fleet.stop();
  const verdict = await ctx.settle(fleet);
  ctx.record(`network partition ${PARTITION_MS / 1000} s (no FIN/RST)`, 1, fleet, verdict);
  expect(ingestor.output()).toMatch(/offline; retrying/);
  expect(ingestor.output()).toMatch(/reconnected, session present: true/);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
});
