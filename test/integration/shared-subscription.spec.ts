import { afterAll, beforeAll, expect, it } from 'vitest';
import { rawPacket, sampleValues } from '../../tools/simulator/samples.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { newDevice } from '../helpers/database.js';
import { ingestorEnv, type IngestorProcess, spawnIngestor } from '../../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher, publishAll } from '../../tools/simulator/publisher.js';

let db: TestDatabase;
let broker: TestBroker;
const children: IngestorProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startMosquitto();
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
  await broker?.stop();
  await db?.drop();
});

it('two ingestor processes on one $share group split the traffic and store every reading once', async () => {
  const tokens = Array.from({ length: 10 }, (_, i) => `share${i}`);
  for (const t of tokens) await newDevice(db, t);
  const shared = { MQTT_SHARED_SUBSCRIPTION: '$share/split-test', MQTT_CONNECTIONS: '4' };
  const a = await spawnIngestor(ingestorEnv(db.url, broker.port, { ...shared, MQTT_CLIENT_ID: 'replica-a' }));
  children.push(a);
  const b = await spawnIngestor(ingestorEnv(db.url, broker.port, { ...shared, MQTT_CLIENT_ID: 'replica-b' }));
  children.push(b);

  let seed = 7;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const start = Date.UTC(2024, 6, 1);
  const messages = tokens.flatMap((token) =>
    Array.from({ length: 20 }, (_, i) => ({
      topic: `device/sck/${token}/readings/raw`,
      payload: rawPacket(start + i * 60_000, sampleValues(random, false)),
    })),
  );
  const publisher = await connectPublisher(broker.port);
  await publishAll(publisher, messages);
  await publisher.endAsync();

  const expected = messages.length * 8;
  const count = async () =>
    (
      await db.sql.query(
        `SELECT count(*)::int AS n, count(DISTINCT (device_id, sensor_id, recorded_at))::int AS d FROM readings`,
      )
    ).rows[0] as { n: number; d: number };
  expect(await waitFor(count, (c) => c.n >= expected, { what: `${expected} readings` })).toEqual({
    n: expected,
    d: expected,
  });
  const takenByA = await a.metric('sck_ingest_messages_total');
  const takenByB = await b.metric('sck_ingest_messages_total');
  expect(takenByA + takenByB).toBe(messages.length);
  expect(takenByA).toBeGreaterThan(0);
  expect(takenByB).toBeGreaterThan(0);
});
