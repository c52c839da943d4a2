import mqtt from 'mqtt';
import { beforeAll, expect, it } from 'vitest';
import { type Json } from '../../tools/harness/api.js';
import { readMetric } from '../../tools/harness/ingestor.js';
import { waitFor } from '../../tools/harness/poll.js';
import { type InProcessIngestor, kitTraffic, useContext } from '../helpers/context.js';
import { openSse, type SseConnection, type SseEvent } from '../helpers/sse.js';

const ctx = useContext({ broker: true, api: { LIVE_POLL_MS: '100' } });
const ingestors: InProcessIngestor[] = [];
const firehose: string[] = [];

beforeAll(async () => {
  const shared = { MQTT_SHARED_SUBSCRIPTION: '$share/live-two', MQTT_CONNECTIONS: '2', LIVE_POLL_MS: '100' };
  for (const id of ['live-a', 'live-b'])
    ingestors.push(await ctx.startIngestor({ ...shared, MQTT_CLIENT_ID: id }));
  const subscriber = await mqtt.connectAsync(ctx.broker.url, {
    clientId: 'live-two-sub',
    reconnectPeriod: 0,
  });
  ctx.defer(() => subscriber.endAsync());
  subscriber.on('message', (_topic, payload) => {
    const body = JSON.parse(payload.toString());
    for (const r of body.readings as Json[]) firehose.push(`${body.device_id}/${r.sensor_id}/${r.timestamp}`);
  });
  await subscriber.subscribeAsync('sck/v1/#', { qos: 1 });
});

const keysOf = (events: SseEvent[]) =>
  events.flatMap((e) => {
    const body = JSON.parse(e.data);
    return (body.readings as Json[]).map((r) => `${body.device_id}/${r.sensor_id}/${r.timestamp}`);
  });

it('two ingestors store concurrently: an SSE client resuming with Last-Event-ID and the firehose each get every reading exactly once', async () => {
  const tokens = Array.from({ length: 8 }, (_, i) => `livetwo${i}`);
  for (const t of tokens) await ctx.newDevice(t);
  const messages = kitTraffic(tokens, 25, { start: Date.UTC(2026, 3, 1), stepMs: 60_000, seed: 11 });
  const received: SseEvent[] = [];
  let stream: SseConnection = await openSse(`${ctx.api.url}/v0/devices/readings/stream`);
  // Published in slices; the stream is dropped and resumed between slices while batches commit.
  const slice = Math.ceil(messages.length / 4);
  for (let i = 0; i < messages.length; i += slice) {
    await ctx.send(messages.slice(i, i + slice), { settle: false });
    // Dropped once it has delivered something of the slice, so that it holds an id to resume from:
    // a stream dropped before its first event reconnects without Last-Event-ID, as EventSource
    // does, and rightly starts at what is new then.
    const before = stream.events.length;
    await waitFor(
      () => stream.events.length,
      (n) => n > before,
      { what: 'an event of the slice before the drop' },
    );
    received.push(...(await stream.finish()));
    const last = stream.lastEventId();
    stream = await openSse(
      `${ctx.api.url}/v0/devices/readings/stream`,
      last ? { 'last-event-id': last } : {},
    );
  }
  const stored = async () =>
    (
      await ctx.db.sql.query<{ key: string }>(
        `SELECT device_id || '/' || sensor_id || '/' || to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS key
           FROM readings ORDER BY 1`,
      )
    ).rows.map((r) => r.key);
  const expected = await waitFor(stored, (keys) => keys.length >= messages.length * 8, {
    what: 'every reading stored',
  });
  await waitFor(
    () => keysOf([...received, ...stream.events]).length,
    (n) => n >= expected.length,
    {
      what: 'every reading on the stream',
    },
  );
  await waitFor(
    () => firehose.length,
    (n) => n >= expected.length,
    { what: 'every reading on the firehose' },
  );
  received.push(...(await stream.finish()));
  const streamed = keysOf(received);
  expect(streamed.length).toBe(expected.length);
  expect([...streamed].sort()).toEqual(expected);
  expect(firehose.length).toBe(expected.length);
  expect([...firehose].sort()).toEqual(expected);
  // Both ingestors stored batches: the concurrency the cursor has to survive.
  const perIngestor = await Promise.all(
    ingestors.map((i) => readMetric(i.port, 'sck_ingest_readings_stored_total')),
  );
  expect(perIngestor.every((n) => n > 0)).toBe(true);
  expect(perIngestor[0] + perIngestor[1]).toBe(expected.length);
});
