import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { newDevice } from '../helpers/database.js';
import { ingestorEnv, startInProcessIngestor } from '../../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher, publishAll } from '../../tools/simulator/publisher.js';
import { startRedis, type TestRedis } from '../../tools/harness/redis.js';

let db: TestDatabase;
let broker: TestBroker;
let redis: TestRedis;
let ingestor: Awaited<ReturnType<typeof startInProcessIngestor>>;
let device: MqttClient;

const raw = (token: string) => `device/sck/${token}/readings/raw`;

async function count(deviceId: number) {
  const { rows } = await db.sql.query('SELECT count(*)::int AS n FROM readings WHERE device_id = $1', [
    deviceId,
  ]);
  return rows[0].n as number;
}

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startMosquitto();
  redis = await startRedis();
  ingestor = await startInProcessIngestor(ingestorEnv(db.url, broker.port, { REDIS_URL: redis.url }));
  device = await connectPublisher(broker.port);
});

afterAll(async () => {
  await device?.endAsync();
  await redis?.restart().catch(() => undefined);
  await ingestor?.stop();
  await redis?.stop();
  await broker?.stop();
  await db?.drop();
});

describe('Redis outage', () => {
  it('keeps readings of registered devices flowing into Postgres while Redis is down', async () => {
    const id = await newDevice(db, 'rd0001');
    await publishAll(device, [{ topic: raw('rd0001'), payload: '{t:2025-02-01T00:00:00Z,55:1.00}' }]);
    await waitFor(
      () => count(id),
      (n) => n === 1,
      { what: 'a reading with Redis up' },
    );

    await redis.kill();
    const messages = Array.from({ length: 20 }, (_, i) => ({
      topic: raw('rd0001'),
      payload: `{t:2025-02-01T01:${String(i).padStart(2, '0')}:00Z,55:${i}.00,56:${i}.00}`,
    }));
    await publishAll(device, messages);
    await waitFor(
      () => count(id),
      (n) => n === 41,
      { what: 'readings stored with Redis down' },
    );

    // Hello, info and parking do not need Redis either.
    await publishAll(device, [
      { topic: 'device/sck/rd0001/info', payload: '{"hw_ver":"2.1"}' },
      { topic: raw('nobody'), payload: '{t:2025-02-01T00:00:00Z,55:1.00}' },
    ]);
    await waitFor(
      async () => {
        const { rows } = await db.sql.query(
          `SELECT (SELECT hardware_info FROM devices WHERE id = $1) AS info,
                  (SELECT count(*)::int FROM parked_messages WHERE token = 'nobody') AS parked`,
          [id],
        );
        return rows[0];
      },
      (r) => r.info !== null && r.parked === 1,
      { what: 'info stored and a message parked with Redis down' },
    );
    const ready = await fetch(`http://127.0.0.1:${ingestor.port}/ready`);
    expect(ready.status).toBe(200);
  });
});
