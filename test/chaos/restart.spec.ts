import { expect, it } from 'vitest';
import { NOTHING_LOST } from '../helpers/context.js';
import { useChaosContext } from './context.js';

const ctx = useChaosContext({ devices: 40, broker: { shipped: true } });

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
  const ingestor = await ctx.spawn(env);
  const fleet = await ctx.startFleet(100, { qos, startAt });
  await ctx.metricAtLeast(ingestor, 'sck_ingest_messages_total', 100, { what: 'traffic' });
  const code = await ingestor.kill('SIGTERM');
  expect(code).toBe(0);
  expect(ingestor.output()).toContain('stopped cleanly');
  await fleet.acceptMore(200, 'the broker to accept messages while no ingestor runs');
  const restarted = await ctx.spawn(env);
  await ctx.metricAtLeast(restarted, 'sck_ingest_messages_total', 300, {
    what: 'the queued share and new traffic on the restarted ingestor',
  });
  const verdict = await ctx.finish(fleet, `only ingestor SIGTERM + restart, kits QoS ${qos}`, 1);
  expect(verdict).toMatchObject(NOTHING_LOST);
  await restarted.kill('SIGTERM');
}

it('the only ingestor SIGTERMed and started again, kits at QoS 1: every accepted message stored once', () =>
  restartOnly(1, Date.UTC(2024, 0, 1)));

it('the only ingestor SIGTERMed and started again, kits at QoS 0 (shipped mosquitto.conf): every accepted message stored once', () =>
  restartOnly(0, Date.UTC(2024, 1, 1)));
