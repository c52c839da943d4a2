import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { type ChaosContext, chaosContext } from './context.js';

let ctx: ChaosContext;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 60 });
});
afterAll(() => ctx?.close());

it('three replicas on one shared subscription: one SIGKILLed, the others carry on', async () => {
  const shared = { MQTT_SHARED_SUBSCRIPTION: '$share/three', MQTT_CONNECTIONS: '4' };
  const [a, b, c] = [
    await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'rep-a' }),
    await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'rep-b' }),
    await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'rep-c' }),
  ];
  const fleet = ctx.fleet(100);
  await fleet.start();
  await waitFor(
    () => c.metric('sck_ingest_batches_total'),
    (n) => n >= 10,
    { what: 'traffic on c' },
  );
  await c.kill('SIGKILL');
  const carried = async () =>
    (await a.metric('sck_ingest_messages_total')) + (await b.metric('sck_ingest_messages_total'));
  const before = await carried();
  await waitFor(carried, (n) => n >= before + 1000, { what: 'the survivors to carry on' });
  await fleet.stop();
  // Mosquitto keeps the dead member's unacknowledged messages for its session (EMQX would hand them
  // to the group when the session expires): the replica coming back with its ids drains them.
  await ctx.spawn({ ...shared, MQTT_CLIENT_ID: 'rep-c' });
  const verdict = await ctx.settle(fleet);
  ctx.record('3 replicas, 1 SIGKILLed', 1, fleet, verdict);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
});
