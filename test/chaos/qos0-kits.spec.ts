import { expect, it } from 'vitest';
import { NOTHING_LOST } from '../helpers/context.js';
import { useChaosContext } from './context.js';

// deploy/mosquitto.conf as shipped: its upgrade_outgoing_qos turns a kit's QoS 0 publish into a
// QoS 1 delivery to the ingestor, acknowledged after commit and queued while it is away.
const ctx = useChaosContext({ devices: 40, broker: { shipped: true } });

it('kits at QoS 0 through the shipped Mosquitto config, the ingestor SIGKILLed and restarted: every accepted message stored once', async () => {
  const env = { MQTT_CLIENT_ID: 'qos0' };
  const ingestor = await ctx.spawn(env);
  const fleet = await ctx.trafficOn(ingestor, 20, { qos: 0 });
  await ingestor.kill('SIGKILL');
  await fleet.acceptMore(100, 'the broker to accept messages while no ingestor runs');
  const restarted = await ctx.spawn(env);
  await ctx.metricAtLeast(restarted, 'sck_ingest_messages_total', 200, {
    what: 'traffic on the restarted ingestor',
  });
  const verdict = await ctx.finish(fleet, 'kits QoS 0 (shipped mosquitto.conf), ingestor SIGKILL', 1);
  expect(verdict).toMatchObject(NOTHING_LOST);
});
