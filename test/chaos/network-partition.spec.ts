import { expect, it } from 'vitest';
import { NOTHING_LOST } from '../helpers/context.js';
import { useChaosContext } from './context.js';

const PARTITION_MS = 20_000;

const ctx = useChaosContext({ devices: 40, broker: { shipped: true } });

it(`network partition between ingestor and broker for ${PARTITION_MS / 1000} s (no FIN, no RST): nothing lost, the reconnect logged`, async () => {
  const proxy = await ctx.startProxy(ctx.broker.port);
  const ingestor = await ctx.spawn({
    MQTT_CLIENT_ID: 'partitioned',
    MQTT_PORT: String(proxy.port),
    MQTT_KEEPALIVE_SECONDS: '5',
    LOG_LEVEL: 'log',
  });
  const fleet = await ctx.trafficOn(ingestor, 10);
  await ctx.outage({ cut: () => proxy.partition(), restore: () => proxy.heal(), ms: PARTITION_MS });
  const before = await ingestor.metric('sck_ingest_messages_total');
  await ctx.metricAtLeast(ingestor, 'sck_ingest_messages_total', before + 300, {
    what: 'traffic after the partition',
    timeoutMs: 90_000,
    intervalMs: 500,
  });
  const verdict = await ctx.finish(fleet, `network partition ${PARTITION_MS / 1000} s (no FIN/RST)`, 1);
  expect(ingestor.output()).toMatch(/offline; retrying/);
  expect(ingestor.output()).toMatch(/reconnected, session present: true/);
  expect(verdict).toMatchObject(NOTHING_LOST);
});
