import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawPacket, sampleValues } from '../../tools/simulator/samples.js';
import { startTestApi, type Json, type TestApi } from '../../tools/harness/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { newDevice } from '../helpers/database.js';
import { ingestorEnv, startInProcessIngestor, readMetric } from '../../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher, publishAll } from '../../tools/simulator/publisher.js';
import { openSse, type SseConnection, type SseEvent } from '../helpers/sse.js';

let db: TestDatabase;
let broker: TestBroker;
let api: TestApi;
const ingestors: Awaited<ReturnType<typeof startInProcessIngestor>>[] = [];
let subscriber: MqttClient;
const firehose: string[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startMosquitto();
  api = await startTestApi(db, { LIVE_POLL_MS: '100' });
  const shared = { MQTT_SHARED_SUBSCRIPTION: '$share/live-two', MQTT_CONNECTIONS: '2', LIVE_POLL_MS: '100' };
  for (const id of ['live-a', 'live-b']) {
    ingestors.push(
      await startInProcessIngestor(ingestorEnv(db.url, broker.port, { ...shared, MQTT_CLIENT_ID: id })),
    );
  }
  subscriber = await mqtt.connectAsync(broker.url, { clientId: 'live-two-sub', reconnectPeriod: 0 });
  subscriber.on('message', (_topic, payload) => {
    const body = JSON.parse(payload.toString());
    for (const r of body.readings as Json[]) firehose.push(`${body.device_id}/${r.sensor_id}/${r.timestamp}`);
  });
  await subscriber.subscribeAsync('sck/v1/#', { qos: 1 });
});

afterAll(async () => {
  await subscriber?.endAsync();
  for (const i of ingestors) await i.stop();
  await api?.stop();
  await broker?.stop();
  await db?.drop();
});

const keysOf = (events: SseEvent[]) =>
  events.flatMap((e) => {
    const body = JSON.parse(e.data);
    return (body.readings as Json[]).map((r) => `${body.device_id}/${r.sensor_id}/${r.timestamp}`);
  });

it('two ingestors store concurrently: an SSE client resuming with Last-Event-ID and the firehose each get every reading exactly once', async () => {
  const tokens = Array.from({ length: 8 }, (_, i) => `livetwo${i}`);
  for (const t of tokens) await newDevice(db, t);
  let seed = 11;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const start = Date.UTC(2026, 3, 1);
  const messages = tokens.flatMap((token) =>
    Array.from({ length: 25 }, (_, i) => ({
      topic: `device/sck/${token}/readings/raw`,
      payload: rawPacket(start + i * 60_000, sampleValues(random, false)),
    })),
  );
  const received: SseEvent[] = [];
  let stream: SseConnection = await openSse(`${api.url}/v0/devices/readings/stream`);
  const kit = await connectPublisher(broker.port);
  // Published in slices; the stream is dropped and resumed between slices while batches commit.
  const slice = Math.ceil(messages.length / 4);
  for (let i = 0; i < messages.length; i += slice) {
    await publishAll(kit, messages.slice(i, i + slice));
    stream.close();
    await stream.ended;
    received.push(...stream.events);
    const last = stream.lastEventId();
    stream = await openSse(`${api.url}/v0/devices/readings/stream`, last ? { 'last-event-id': last } : {});
  }
  await kit.endAsync();
  const stored = async () =>
    (
      await db.sql.query<{ key: string }>(
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
  stream.close();
  await stream.ended;
  received.push(...stream.events);
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
