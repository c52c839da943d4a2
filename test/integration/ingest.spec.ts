import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { latestSensorValues, newDevice } from '../helpers/database.js';
import { ingestorEnv, startInProcessIngestor } from '../../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { sendAndSettle } from '../helpers/metrics.js';
import { connectPublisher } from '../../tools/simulator/publisher.js';

let db: TestDatabase;
let broker: TestBroker;
let ingestor: Awaited<ReturnType<typeof startInProcessIngestor>>;
let device: MqttClient;

const raw = (token: string) => `device/sck/${token}/readings/raw`;
const json = (token: string) => `device/sck/${token}/readings`;

async function readings(deviceId: number) {
  const { rows } = await db.sql.query<{ sensor_id: number; recorded_at: Date; value: number }>(
    'SELECT sensor_id, recorded_at, value FROM readings WHERE device_id = $1 ORDER BY recorded_at, sensor_id',
    [deviceId],
  );
  return rows.map((r) => ({ sensor: r.sensor_id, at: r.recorded_at.toISOString(), value: r.value }));
}

async function errors(token: string) {
  const { rows } = await db.sql.query<{
    reason: string;
    item: unknown;
    payload: Buffer | null;
    device_id: number | null;
  }>('SELECT reason, item, payload, device_id FROM ingest_errors WHERE token = $1 ORDER BY id', [token]);
  return rows;
}

/** Publishes, then waits until the ingestor has stored or recorded every message. */
const send = (messages: { topic: string; payload: string | Buffer }[]) =>
  sendAndSettle(ingestor.port, device, messages);

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startMosquitto();
  ingestor = await startInProcessIngestor(
    ingestorEnv(db.url, broker.port, { MQTT_TOPIC_PREFIXES: ',bridge/' }),
  );
  device = await connectPublisher(broker.port);
});

afterAll(async () => {
  await device?.endAsync();
  await ingestor?.stop();
  await broker?.stop();
  await db?.drop();
});

describe('readings over MQTT into Postgres', () => {
  it('stores the raw form with the right values and instants', async () => {
    const id = await newDevice(db, 'raw001');
    await send([
      { topic: raw('raw001'), payload: '{t:2017-03-24T13:35:14Z,10:87,55:24.37,56:51.20,53:48.91}' },
    ]);
    expect(await readings(id)).toEqual([
      { sensor: 10, at: '2017-03-24T13:35:14.000Z', value: 87 },
      { sensor: 53, at: '2017-03-24T13:35:14.000Z', value: 48.91 },
      { sensor: 55, at: '2017-03-24T13:35:14.000Z', value: 24.37 },
      { sensor: 56, at: '2017-03-24T13:35:14.000Z', value: 51.2 },
    ]);
    expect(await errors('raw001')).toEqual([]);
  });

  it('stores the JSON form: zones, space separator, string values, nulls skipped', async () => {
    const id = await newDevice(db, 'json01');
    const payload = JSON.stringify({
      data: [
        {
          recorded_at: '2016-06-08 10:30:00',
          sensors: [
            { id: 55, value: 21 },
            { id: '56', value: '-1.50' },
          ],
        },
        {
          recorded_at: '2016-06-08T12:35:00+02:00',
          sensors: [
            { id: 55, value: '1e1' },
            { id: 56, value: null },
          ],
        },
        { recorded_at: '2016-06-08T10:40:00.987Z', sensors: [{ id: 55, value: 22.5 }], extra: true },
      ],
    });
    await send([{ topic: json('json01'), payload }]);
    expect(await readings(id)).toEqual([
      { sensor: 55, at: '2016-06-08T10:30:00.000Z', value: 21 },
      { sensor: 56, at: '2016-06-08T10:30:00.000Z', value: -1.5 },
      { sensor: 55, at: '2016-06-08T10:35:00.000Z', value: 10 },
      { sensor: 55, at: '2016-06-08T10:40:00.000Z', value: 22.5 },
    ]);
    expect(await errors('json01')).toEqual([]);
  });

  it('rejects each bad reading or item with its reason and keeps the valid ones next to it', async () => {
    const id = await newDevice(db, 'rules1');
    const future = new Date(Date.now() + 48 * 3600_000).toISOString();
    const payload = JSON.stringify({
      data: [
        {
          recorded_at: '2020-01-01T00:00:00Z',
          sensors: [
            { id: 55, value: 20 },
            { id: 9999, value: 1 },
            { id: 56, value: 'abc' },
            { id: 53, value: true },
          ],
        },
        { recorded_at: '10:30', sensors: [{ id: 55, value: 1 }] },
        { recorded_at: '20160608', sensors: [{ id: 55, value: 1 }] },
        { recorded_at: 'Wed, 08 Jun 2016 10:30:00 GMT', sensors: [{ id: 55, value: 1 }] },
        { recorded_at: future, sensors: [{ id: 55, value: 1 }] },
        { recorded_at: '1999-12-31T23:59:59Z', sensors: [{ id: 55, value: 1 }] },
        { sensors: [{ id: 55, value: 1 }] },
        { recorded_at: '2020-01-01T00:01:00Z', sensors: [{ id: 56, value: 40 }] },
      ],
    });
    await send([{ topic: json('rules1'), payload }]);
    expect(await readings(id)).toEqual([
      { sensor: 55, at: '2020-01-01T00:00:00.000Z', value: 20 },
      { sensor: 56, at: '2020-01-01T00:01:00.000Z', value: 40 },
    ]);
    const reasons = (await errors('rules1')).map((e) => e.reason);
    expect(reasons).toEqual([
      'unknown_sensor',
      'value_invalid',
      'value_invalid',
      'timestamp_invalid',
      'timestamp_invalid',
      'timestamp_invalid',
      'timestamp_future',
      'timestamp_too_old',
      'timestamp_missing',
    ]);
    expect((await errors('rules1')).every((e) => e.device_id === id)).toBe(true);
  });

  it('rejects whole messages with their reason and keeps the payload bytes', async () => {
    await newDevice(db, 'whole1');
    const bad = [
      { topic: json('whole1'), payload: '{"data": [' },
      { topic: json('whole1'), payload: '{"data": []}' },
      { topic: json('whole1'), payload: '[1,2]' },
      { topic: raw('whole1'), payload: '{t: 2024-01-01T00:00:00Z,10:1}' },
      { topic: raw('whole1'), payload: '{10:87,55:24.37}' },
      { topic: raw('whole1'), payload: Buffer.from('{t:2017-03-24T13:35:14Z,55:2\xb04.37}', 'latin1') },
    ];
    await send(bad);
    // Messages of one publish may land in different (concurrent) batches: compare as sets.
    const recorded = (await errors('whole1')).map((e) => `${e.reason} ${e.payload?.toString('latin1')}`);
    const expected = [
      'malformed_json',
      'schema',
      'schema',
      'raw_grammar',
      'timestamp_missing',
      'raw_grammar',
    ].map((reason, i) => `${reason} ${Buffer.from(bad[i].payload).toString('latin1')}`);
    expect(recorded.sort()).toEqual(expected.sort());
  });

  it('stores a reading once when the same message arrives twice or the kit re-sends it', async () => {
    const id = await newDevice(db, 'dup001');
    const message = { topic: raw('dup001'), payload: '{t:2021-05-01T10:00:00Z,10:80,55:20.00}' };
    await send([message, message]);
    await send([{ topic: raw('dup001'), payload: '{t:2021-05-01T10:00:00Z,10:80,55:20.00,}' }]);
    expect(await readings(id)).toHaveLength(2);
  });

  it('never moves last_reading_at or a latest value backwards', async () => {
    const id = await newDevice(db, 'order1');
    await send([{ topic: raw('order1'), payload: '{t:2022-02-02T12:00:00Z,55:30.00}' }]);
    await send([{ topic: raw('order1'), payload: '{t:2022-02-01T12:00:00Z,55:10.00,56:40.00}' }]);
    const { rows: dev } = await db.sql.query(
      'SELECT first_reading_at, last_reading_at FROM devices WHERE id = $1',
      [id],
    );
    expect(dev[0].last_reading_at.toISOString()).toBe('2022-02-02T12:00:00.000Z');
    expect(dev[0].first_reading_at.toISOString()).toBe('2022-02-01T12:00:00.000Z');
    expect(await latestSensorValues(db, id)).toEqual([
      [55, 30, '2022-02-02T12:00:00.000Z'],
      [56, 40, '2022-02-01T12:00:00.000Z'],
    ]);
    expect(await readings(id)).toHaveLength(3);
  });

  it('does not make a device look online when every item of a message was rejected', async () => {
    const id = await newDevice(db, 'allbad');
    await send([{ topic: raw('allbad'), payload: '{t:2022-02-02T12:00:00Z,9999:1,55:1-2}' }]);
    const { rows } = await db.sql.query('SELECT last_reading_at FROM devices WHERE id = $1', [id]);
    expect(rows[0].last_reading_at).toBeNull();
    expect((await errors('allbad')).map((e) => e.reason)).toEqual(['unknown_sensor', 'value_invalid']);
  });

  it('accepts a literal $queue/ topic, a configured prefix, and parks messages of unknown devices', async () => {
    const id = await newDevice(db, 'queue1');
    await send([
      { topic: `$queue/${raw('queue1')}`, payload: '{t:2023-01-01T00:00:00Z,55:1.00}' },
      { topic: `bridge/${raw('queue1')}`, payload: '{t:2023-01-01T00:01:00Z,55:2.00}' },
      { topic: raw('ghost1'), payload: '{t:2023-01-01T00:00:00Z,55:1.00}' },
    ]);
    expect((await readings(id)).map((r) => r.value)).toEqual([1, 2]);
    expect(await errors('ghost1')).toEqual([]);
    const { rows: parked } = await db.sql.query('SELECT kind FROM parked_messages WHERE token = $1', [
      'ghost1',
    ]);
    expect(parked).toEqual([{ kind: 'raw' }]);
  });
});
