import { expect, it } from 'vitest';
import { SteadyFleet } from '../../tools/simulator/steady-fleet.js';
import { createFleetPartitions } from '../chaos/context.js';
import { verifyStored } from '../chaos/verify.js';
import { useContext } from '../helpers/context.js';
import { waitFor } from '../../tools/harness/poll.js';

const ctx = useContext({ broker: true });

it('the only ingestor of a $share group SIGTERMed and started again: every PUBACKed message is stored', async () => {
  const tokens = Array.from({ length: 5 }, (_, i) => `solo${i}`);
  for (const t of tokens) await ctx.newDevice(t);
  await createFleetPartitions(ctx.db);
  const env = ctx.ingestorEnv({
    MQTT_SHARED_SUBSCRIPTION: '$share/solo',
    MQTT_CLIENT_ID: 'solo',
    MQTT_CONNECTIONS: '4',
  });
  const first = await ctx.spawnIngestor(env);
  // 5 kits every 100 ms: 50 messages/s at QoS 1, as in the report.
  const fleet = new SteadyFleet(ctx.broker.port, tokens, { intervalMs: 100, seed: 15 });
  ctx.defer(() => fleet.stop(5000));
  await fleet.start();
  await ctx.metricAtLeast(first, 'sck_ingest_messages_total', 50, { what: 'traffic' });
  expect(await first.kill('SIGTERM')).toBe(0);
  // The broker keeps accepting while no ingestor runs.
  await fleet.acceptMore(100, 'the broker to accept messages while the ingestor is away');
  const second = await ctx.spawnIngestor(env);
  await ctx.metricAtLeast(second, 'sck_ingest_messages_total', 50, { what: 'traffic on the new ingestor' });
  await fleet.stop();
  const verdict = await waitFor(
    () => verifyStored(ctx.db, fleet.acked),
    (v) => v.lost === 0,
    { timeoutMs: 30_000, intervalMs: 500, what: 'every accepted message to be stored' },
  ).catch(() => verifyStored(ctx.db, fleet.acked, true));
  expect(fleet.acked.length).toBeGreaterThan(200);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0 });
});
