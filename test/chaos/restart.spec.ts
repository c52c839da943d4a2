import { afterAll, beforeAll, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { type ChaosContext, chaosContext } from './context.js';

let ctx: ChaosContext;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 40, broker: { shipped: true } });
});
afterAll(() => ctx?.close());

const env = {
  MQTT_SHARED_SUBSCRIPTION: '$share/only',
  MQTT_CLIENT_ID: 'only',
  MQTT_CONNECTIONS: '4',
  LOG_LEVEL: 'log',
};

/**
 * The only ingestor of its group SIGTERMed and started again while kits publish (a deploy, an
 * orchestrator restart): the broker queues for its sessions meanwhile.
 */
async function restartOnly(qos: 0 | 1, startAt: number) {
  let ingestor = await ctx.spawn(env);
  const fleet = ctx.fleet(100, { qos, startAt });
  await fleet.start();
  await waitFor(
    () => ingestor.metric('sck_ingest_messages_total'),
    (n) => n >= 100,
    { what: 'traffic' },
  );
  const code = await ingestor.kill('SIGTERM');
  expect(code).toBe(0);
  expect(ingestor.output()).toContain('stopped cleanly');
  const acceptedBefore = fleet.acked.length;
  await waitFor(
    () => fleet.acked.length,
    (n) => n >= acceptedBefore + 200,
    { what: 'the broker to accept messages while no ingestor runs' },
  );
  ingestor = await ctx.spawn(env);
  await waitFor(
    () => ingestor.metric('sck_ingest_messages_total'),
    (n) => n >= 300,
    { what: 'the queued share and new traffic on the restarted ingestor' },
  );
  await fleet.stop();
  const verdict = await ctx.settle(fleet);
  ctx.record(`only ingestor SIGTERM + restart, kits QoS ${qos}`, 1, fleet, verdict);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
  await ingestor.kill('SIGTERM');
}

it('the only ingestor SIGTERMed and started again, kits at QoS 1: every accepted message stored once', () =>
  restartOnly(1, Date.UTC(2024, 0, 1)));

it('the only ingestor SIGTERMed and started again, kits at QoS 0 (shipped mosquitto.conf): every accepted message stored once', () =>
  restartOnly(0, Date.UTC(2024, 1, 1)));
