import { setTimeout as sleep } from 'node:timers/promises';
import { expect, it } from 'vitest';
import { NOTHING_LOST } from '../helpers/context.js';
import { useChaosContext } from './context.js';

const OUTAGE_MS = Number(process.env.CHAOS_OUTAGE_MS ?? 30_000);

const ctx = useChaosContext({ devices: 50 });

it(`Postgres unreachable for ${OUTAGE_MS / 1000} s mid-stream: batches spill to Redis and land once it is back`, async () => {
  const { ingestor, proxy } = await ctx.spawnSpilling({
    MQTT_CLIENT_ID: 'pgcut',
    DB_RETRY_WINDOW_MS: '2000',
  });
  const fleet = await ctx.trafficOn(ingestor, 20);
  // Kits kept being served while Postgres was away (their messages spilled and were acknowledged).
  const takenDuringOutage = await ctx.outage({
    cut: () => proxy.cut(),
    restore: () => proxy.open(),
    ms: OUTAGE_MS,
    count: () => ingestor.metric('sck_ingest_messages_total'),
  });
  await sleep(3000);
  const verdict = await ctx.finish(fleet, `Postgres unreachable ${OUTAGE_MS / 1000} s`, 1, {
    timeoutMs: 120_000,
  });
  expect(takenDuringOutage).toBeGreaterThan(0);
  expect(ingestor.child.exitCode).toBeNull();
  expect(verdict).toMatchObject(NOTHING_LOST);
});
