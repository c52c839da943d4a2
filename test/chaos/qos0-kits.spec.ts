import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { type ChaosContext, chaosContext } from './context.js';

let ctx: ChaosContext;
beforeAll(async () => {
  // deploy/mosquitto.conf as shipped: its upgrade_outgoing_qos turns a kit's QoS 0 publish into a
  // QoS 1 delivery to the ingestor, acknowledged after commit and queued while it is away.
  ctx = await chaosContext({ devices: 40, broker: { shipped: true } });
});
afterAll(() => ctx?.close());

it('kits at QoS 0 through the shipped Mosquitto config, the ingestor SIGKILLed and restarted: every accepted message stored once', async () => {
  const env = { MQTT_CLIENT_ID: 'qos0' };
  let ingestor = await ctx.spawn(env);
  const fleet = ctx.fleet(100, { qos: 0 });
  await fleet.start();
  await waitFor(
    () => ingestor.metric('sck_ingest_batches_total'),
    (n) => n >= 20,
    { what: 'batches' },
  );
  await ingestor.kill('SIGKILL');
  const acceptedBefore = fleet.acked.length;
  await waitFor(
    () => fleet.acked.length,
    (n) => n >= acceptedBefore + 100,
    { what: 'the broker to accept messages while no ingestor runs' },
  );
  ingestor = await ctx.spawn(env);
  await waitFor(
    () => ingestor.metric('sck_ingest_messages_total'),
    (n) => n >= 200,
    { what: 'traffic on the restarted ingestor' },
  );
  await fleet.stop();
  const verdict = await ctx.settle(fleet);
  ctx.record('kits QoS 0 (shipped mosquitto.conf), ingestor SIGKILL', 1, fleet, verdict);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
});
