import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

async function countReadings(): Promise<{ rows: number; distinct: number }> {
  const { rows } = await db.sql.query(
    `SELECT count(*)::int AS rows, count(DISTINCT (device_id, sensor_id, recorded_at))::int AS distinct FROM readings`,
  );
  return rows[0];
}

/** Messages of `tokens.length` kits, `perKit` readings each, one second apart. */
function traffic(tokens: string[], perKit: number, start: number) {
  let seed = 1;
  const random = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  return tokens.flatMap((token) =>
    Array.from({ length: perKit }, (_, i) => ({
      topic: `device/sck/${token}/readings/raw`,
      payload: rawPacket(start + i * 1000, sampleValues(random, false)),
    })),
  );
}

describe('ack after commit', () => {
  it('redelivers what a SIGKILLed ingestor had received but not committed, and stores it exactly once', async () => {
    const tokens = ['kill01', 'kill02', 'kill03'];
    for (const t of tokens) await newDevice(db, t);
    const clientId = 'ackcrash';
    // Batches never flush on their own here: huge size, long timer, and more than twice as many
    // members as messages (a batch is also due at half the pool while a write slot is free).
    const holding = ingestorEnv(db.url, broker.port, {
      MQTT_CLIENT_ID: clientId,
      MQTT_CONNECTIONS: '16',
      MQTT_RECEIVE_MAXIMUM: '1',
      BATCH_MAX_WAIT_MS: '60000',
      BATCH_MAX_ROWS: '100000',
    });
    const first = await spawnIngestor(holding);
    children.push(first);
    const messages = traffic(tokens, 2, Date.UTC(2024, 4, 1));
    const publisher = await connectPublisher(broker.port);
    await publishAll(publisher, messages);
    // Every member took its message (one each: the next comes only after an ack) and none is acked.
    await waitFor(
      () => first.metric('sck_ingest_mqtt_received_total'),
      (n) => n >= messages.length,
      {
        what: 'the ingestor to receive every message',
      },
    );
    expect(await first.metric('sck_ingest_batches_total')).toBe(0);
    await first.kill('SIGKILL');
    expect((await countReadings()).rows).toBe(0);

    // Same client ids: the broker hands the sessions' unacknowledged messages back.
    const second = await spawnIngestor({ ...holding, BATCH_MAX_WAIT_MS: '20' });
    children.push(second);
    const expected = messages.length * 8; // 8 sensors per sample reading
    const stored = await waitFor(countReadings, (c) => c.rows >= expected, { what: `${expected} readings` });
    expect(stored).toEqual({ rows: expected, distinct: expected });

    // And nothing more arrives later: publish a marker and wait for it, then recount.
    await publishAll(publisher, traffic(['kill01'], 1, Date.UTC(2024, 5, 1)));
    await waitFor(countReadings, (c) => c.rows === expected + 8, { what: 'the marker reading' });
    expect(await countReadings()).toEqual({ rows: expected + 8, distinct: expected + 8 });
    await publisher.endAsync();
    await second.kill('SIGTERM');
  });

  it('holds several unacknowledged messages on one connection and acknowledges none before they are stored', async () => {
    const tokens = ['win01', 'win02'];
    for (const t of tokens) await newDevice(db, t);
    const window = 10;
    const holding = ingestorEnv(db.url, broker.port, {
      MQTT_CLIENT_ID: 'ackwindow',
      MQTT_CONNECTIONS: '1',
      MQTT_RECEIVE_MAXIMUM: String(window),
      BATCH_MAX_WAIT_MS: '60000',
      BATCH_MAX_ROWS: '100000',
    });
    const first = await spawnIngestor(holding);
    children.push(first);
    // Fewer than half the window: the batcher would flush a full (or, with a free write slot, a
    // half-full) window at once.
    const messages = traffic(tokens, 2, Date.UTC(2024, 6, 1));
    const publisher = await connectPublisher(broker.port);
    await publishAll(publisher, messages);
    // The one connection takes them all (with one message per connection it would hold one).
    await waitFor(
      () => first.metric('sck_ingest_mqtt_received_total'),
      (n) => n >= messages.length,
      { what: `the ingestor to receive ${messages.length} messages on one connection` },
    );
    expect(await first.metric('sck_ingest_batches_total')).toBe(0);
    await first.kill('SIGKILL');

    // Nothing was stored, so nothing was acked: every message comes back to the session.
    const before = (await countReadings()).rows;
    const second = await spawnIngestor({ ...holding, BATCH_MAX_WAIT_MS: '20' });
    children.push(second);
    const expected = before + messages.length * 8;
    const stored = await waitFor(countReadings, (c) => c.rows >= expected, { what: `${expected} readings` });
    expect(stored).toEqual({ rows: expected, distinct: expected });
    await publisher.endAsync();
    await second.kill('SIGTERM');
  });

  it('stops reading while the messages it holds exceed MQTT_INFLIGHT_MAX_BYTES', async () => {
    await newDevice(db, 'big001');
    const ingestor = await spawnIngestor(
      ingestorEnv(db.url, broker.port, {
        MQTT_CLIENT_ID: 'bytebudget',
        MQTT_CONNECTIONS: '1',
        MQTT_INFLIGHT_MAX_BYTES: '65536',
        BATCH_MAX_WAIT_MS: '60000',
        BATCH_MAX_ROWS: '100000',
      }),
    );
    children.push(ingestor);
    const publisher = await connectPublisher(broker.port);
    // 40 kB each, valid, so the whole payload is held until stored (a rejected one would be cut
    // to a prefix at once): the second takes the pool over its 64 KiB budget, the third must wait.
    const big = Array.from({ length: 3 }, (_, i) => ({
      topic: 'device/sck/big001/readings/raw',
      payload: `{t:2024-01-01T00:00:0${i}Z,${'55:1.00,'.repeat(5000)}}`,
    }));
    await publishAll(publisher, big);
    await waitFor(
      () => ingestor.metric('sck_ingest_mqtt_received_total'),
      (n) => n >= 2,
      { what: 'the first two large messages' },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await ingestor.metric('sck_ingest_mqtt_received_total')).toBe(2);
    await publisher.endAsync();
    await ingestor.kill('SIGKILL');
  });
});
