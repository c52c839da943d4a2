import mqtt from 'mqtt';
import { expect, it } from 'vitest';
import { type Json } from '../../tools/harness/api.js';
import { waitFor } from '../../tools/harness/poll.js';
import { useContext } from '../helpers/context.js';

const ctx = useContext({ broker: true, api: true });

const raw = (at: string, value: number) => `{t:${at},55:${value}}`;
const forwardPosition = async () =>
  (await ctx.db.sql.query<{ tx_id: string }>("SELECT tx_id::text FROM live_positions WHERE name = 'forward'"))
    .rows[0]?.tx_id;

it('while no device forwards, the forwards move past every batch unread; a device that starts forwarding gets what it stores from then on', async () => {
  const researcher = await ctx.newUser('idle-lab', 'researcher');
  // GET /v0/me makes the researcher's forwarding credentials.
  const me = await (await ctx.api.request('/v0/me', { token: researcher.token })).json();
  const device = await ctx.postDevice(researcher.token, { name: 'later', device_token: 'livefwdidle1' });
  await ctx.startIngestor({ LIVE_POLL_MS: '100' });
  const subscriber = await mqtt.connectAsync(ctx.broker.url, { protocolVersion: 4, reconnectPeriod: 0 });
  ctx.defer(() => subscriber.endAsync());
  const forwards: Json[] = [];
  subscriber.on('message', (_topic, payload) => forwards.push(JSON.parse(payload.toString())));
  await subscriber.subscribeAsync(`/forward/${me.forwarding_token}/#`, { qos: 1 });

  const topic = 'device/sck/livefwdidle1/readings/raw';
  await ctx.send([{ topic, payload: raw('2026-03-04T08:00:00Z', 1) }]);
  const { rows } = await ctx.db.sql.query<{ tx_id: string }>(
    'SELECT max(tx_id)::text AS tx_id FROM live_outbox WHERE device_id = $1',
    [device.id],
  );
  // The forwards' position passes the batch although nothing forwards it.
  await waitFor(forwardPosition, (tx) => tx !== undefined && BigInt(tx) > BigInt(rows[0].tx_id), {
    what: 'the forwards past the batch of a device that does not forward',
  });

  const patched = await ctx.api.request(`/v0/devices/${device.id}`, {
    method: 'PATCH',
    token: researcher.token,
    body: { enable_forwarding: true },
  });
  expect(patched.status).toBe(200);
  await ctx.send([{ topic, payload: raw('2026-03-04T09:00:00Z', 2) }]);
  await waitFor(
    () => forwards.length,
    (n) => n >= 1,
    { what: 'the forward of the batch stored after forwarding began' },
  );
  // Let a late forward of the first batch show if there were one.
  await new Promise((resolve) => setTimeout(resolve, 500));
  const timestamps = forwards.flatMap((m) =>
    (m.data.sensors as Json[]).flatMap((s) => (s.readings as Json[]).map((r) => r.timestamp)),
  );
  expect(timestamps).toEqual(['2026-03-04T09:00:00.000Z']);
});
