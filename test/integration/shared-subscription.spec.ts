import { expect, it } from 'vitest';
import { kitTraffic, useContext } from '../helpers/context.js';
import { waitFor } from '../../tools/harness/poll.js';

const ctx = useContext({ broker: true });

it('two ingestor processes on one $share group split the traffic and store every reading once', async () => {
  const tokens = Array.from({ length: 10 }, (_, i) => `share${i}`);
  for (const t of tokens) await ctx.newDevice(t);
  const shared = { MQTT_SHARED_SUBSCRIPTION: '$share/split-test', MQTT_CONNECTIONS: '4' };
  const a = await ctx.spawnIngestor({ ...shared, MQTT_CLIENT_ID: 'replica-a' });
  const b = await ctx.spawnIngestor({ ...shared, MQTT_CLIENT_ID: 'replica-b' });

  const messages = kitTraffic(tokens, 20, { start: Date.UTC(2024, 6, 1), stepMs: 60_000, seed: 7 });
  await ctx.send(messages, { settle: false });

  const expected = messages.length * 8;
  expect(
    await waitFor(
      () => ctx.readingCount(),
      (c) => c.rows >= expected,
      { what: `${expected} readings` },
    ),
  ).toEqual({
    rows: expected,
    distinct: expected,
  });
  const takenByA = await a.metric('sck_ingest_messages_total');
  const takenByB = await b.metric('sck_ingest_messages_total');
  expect(takenByA + takenByB).toBe(messages.length);
  expect(takenByA).toBeGreaterThan(0);
  expect(takenByB).toBeGreaterThan(0);
});
