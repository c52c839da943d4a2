import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { type ChaosContext, chaosContext } from './context.js';

let ctx: ChaosContext;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 40, broker: { shipped: true } });
});
afterAll(() => ctx?.close());

it('both replicas SIGTERMed at once and started again (docker compose up -d): every accepted message stored once', async () => {
  const shared = { MQTT_SHARED_SUBSCRIPTION: '$share/both', MQTT_CONNECTIONS: '4', LOG_LEVEL: 'log' };
  const ids = ['both-1', 'both-2'];
  // Started one after the other (each spawn waits for readiness); what matters is that both are
  // stopped at the same time below.
  const spawnBoth = async () => {
    const replicas = [];
    for (const id of ids) replicas.push(await ctx.spawn({ ...shared, MQTT_CLIENT_ID: id }));
    return replicas;
  };
  const first = await spawnBoth();
  const fleet = ctx.fleet(100);
  await fleet.start();
  await waitFor(
    async () => Math.min(...(await Promise.all(first.map((i) => i.metric('sck_ingest_messages_total'))))),
    (n) => n >= 50,
    { what: 'traffic on both replicas' },
  );
  expect(await Promise.all(first.map((i) => i.kill('SIGTERM')))).toEqual([0, 0]);
  const acceptedBefore = fleet.acked.length;
  await waitFor(
    () => fleet.acked.length,
    (n) => n >= acceptedBefore + 200,
    { what: 'the broker to accept messages while no replica runs' },
  );
  const second = await spawnBoth();
  await waitFor(
    async () => Math.min(...(await Promise.all(second.map((i) => i.metric('sck_ingest_messages_total'))))),
    (n) => n >= 100,
    { what: 'both restarted replicas to drain their queued share and carry on' },
  );
  await fleet.stop();
  const verdict = await ctx.settle(fleet);
  ctx.record('both replicas SIGTERM + restart at once', 2, fleet, verdict);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
});
