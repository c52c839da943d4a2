import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { latestSensorValues, newDevice } from '../helpers/database.js';
import { ingestorEnv, startInProcessIngestor, readMetric } from '../../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher, publishAll } from '../../tools/simulator/publisher.js';
import { startRedis, type TestRedis } from '../../tools/harness/redis.js';
import { startTcpProxy, type TcpProxy } from '../../tools/harness/tcp-proxy.js';

let db: TestDatabase;
let broker: TestBroker;
let redis: TestRedis;
let proxy: TcpProxy;
let ingestor: Awaited<ReturnType<typeof startInProcessIngestor>>;
let device: MqttClient;

const raw = (token: string) => `device/sck/${token}/readings/raw`;
/** One raw message per minute from `start`, two sensors, values growing with time. */
const minutes = (token: string, start: number, count: number) =>
  Array.from({ length: count }, (_, i) => {
    const at = new Date(Date.UTC(2025, 0, 1, 0, start + i)).toISOString().replace('.000Z', 'Z');
    return { topic: raw(token), payload: `{t:${at},55:${start + i}.00,56:${start + i}.50}` };
  });

const metric = (name: string) => readMetric(ingestor.port, name);
/** Every message received has settled (stored, recorded, parked or spilled) and been acknowledged. */
async function allSettled(count: number) {
  await waitFor(
    async () =>
      (await metric('sck_ingest_pending_messages')) === 0 ? metric('sck_ingest_mqtt_received_total') : -1,
    (n) => n >= count,
    { what: `${count} messages settled`, timeoutMs: 30_000 },
  );
}
async function stored(deviceId: number) {
  const { rows } = await db.sql.query(
    `SELECT count(*)::int AS n, count(DISTINCT (sensor_id, recorded_at))::int AS distinct_n
       FROM readings WHERE device_id = $1`,
    [deviceId],
  );
  return rows[0] as { n: number; distinct_n: number };
}

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startMosquitto();
  redis = await startRedis();
  proxy = await startTcpProxy(Number(new URL(db.url).port || 5432));
  const viaProxy = new URL(db.url);
  viaProxy.port = String(proxy.port);
  ingestor = await startInProcessIngestor(
    ingestorEnv(viaProxy.toString(), broker.port, {
      REDIS_URL: redis.url,
      DB_RETRY_WINDOW_MS: '500',
      LOG_LEVEL: 'warn',
    }),
  );
  device = await connectPublisher(broker.port);
});

afterAll(async () => {
  await device?.endAsync();
  await proxy?.open().catch(() => undefined);
  await ingestor?.stop();
  await proxy?.close();
  await redis?.stop();
  await broker?.stop();
  await db?.drop();
});

describe('store-and-forward while Postgres is unreachable', () => {
  it('acknowledges batches spilled to Redis and stores every one once Postgres is back', async () => {
    const id = await newDevice(db, 'sf0001');
    await publishAll(device, minutes('sf0001', 0, 5));
    await allSettled(5);
    expect(await stored(id)).toEqual({ n: 10, distinct_n: 10 });

    await proxy.cut();
    const outage = minutes('sf0001', 5, 30);
    // The second half repeats messages of the first: duplicates stay single rows.
    await publishAll(device, [...outage, ...outage.slice(0, 5)]);
    await allSettled(40);
    expect(await metric('sck_ingest_spilled_messages_total')).toBe(35);
    expect(await stored(id)).toEqual({ n: 10, distinct_n: 10 });

    await proxy.open();
    await waitFor(
      () => stored(id),
      (s) => s.n >= 70,
      { what: 'the spilled batches to be written', timeoutMs: 45_000 },
    );
    expect(await stored(id)).toEqual({ n: 70, distinct_n: 70 });
    expect(await latestSensorValues(db, id)).toEqual([
      [55, 34, '2025-01-01T00:34:00.000Z'],
      [56, 34.5, '2025-01-01T00:34:00.000Z'],
    ]);
    const { rows: dev } = await db.sql.query('SELECT last_reading_at FROM devices WHERE id = $1', [id]);
    expect(dev[0].last_reading_at.toISOString()).toBe('2025-01-01T00:34:00.000Z');

    // The live path works again, without restarting anything.
    await publishAll(device, minutes('sf0001', 35, 1));
    await allSettled(41);
    await waitFor(
      () => stored(id),
      (s) => s.n === 72,
      { what: 'a live reading after the outage' },
    );
  });

  it('stops acknowledging when Redis is down too, and stores everything once Postgres is back', async () => {
    const id = await newDevice(db, 'sf0002');
    await redis.kill();
    await proxy.cut();
    const spilledBefore = await metric('sck_ingest_spilled_messages_total');
    await publishAll(device, minutes('sf0002', 0, 8));
    // Not acknowledged: the transport drops the member's connection and the broker keeps the
    // message; nothing is spilled and nothing settles.
    await waitFor(
      () => metric('sck_ingest_unacknowledged_batches_total'),
      (n) => n >= 2,
      {
        what: 'batches left unacknowledged',
      },
    );
    expect(await metric('sck_ingest_spilled_messages_total')).toBe(spilledBefore);
    expect(await stored(id)).toEqual({ n: 0, distinct_n: 0 });

    await proxy.open();
    await waitFor(
      () => stored(id),
      (s) => s.n >= 16,
      { what: 'redelivered messages to be stored', timeoutMs: 45_000 },
    );
    expect(await stored(id)).toEqual({ n: 16, distinct_n: 16 });
    await redis.restart();
  });
});
