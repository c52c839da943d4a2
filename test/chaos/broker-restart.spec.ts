import { expect, it } from 'vitest';
import { NOTHING_LOST } from '../helpers/context.js';
import { waitFor } from '../../tools/harness/poll.js';
import { useChaosContext } from './context.js';

const ctx = useChaosContext({ devices: 50, broker: { persistence: true } });

it('broker killed and restarted mid-stream (persistence on): nothing acknowledged is lost', async () => {
  const ingestor = await ctx.spawn({ MQTT_CLIENT_ID: 'brk' });
  // Kits come back after the ingestor (real kits reconnect every few seconds to minutes). Mosquitto
  // does not restore shared subscriptions from persistence: a message published after the restart
  // but before any member re-subscribed is acknowledged to the kit and delivered to no one. That
  // window is the broker's; the ingestor keeps it short by reconnecting within 500 ms.
  const fleet = await ctx.trafficOn(ingestor, 20, { reconnectMs: 2000 });
  // SIGTERM: Mosquitto writes its persistence file on the way down. (After a SIGKILL it can only
  // restore what its last autosave wrote, a broker property no subscriber can make up for.)
  await ctx.broker.kill('SIGTERM');
  await ctx.broker.restart();
  await waitFor(
    () => ingestor.metric('sck_ingest_mqtt_connected'),
    (n) => n === 8,
    { what: 'reconnection' },
  );
  const before = await ingestor.metric('sck_ingest_batches_total');
  await ctx.metricAtLeast(ingestor, 'sck_ingest_batches_total', before + 20, { what: 'traffic again' });
  const verdict = await ctx.finish(fleet, 'broker restart', 1);
  expect(verdict).toMatchObject(NOTHING_LOST);
});
