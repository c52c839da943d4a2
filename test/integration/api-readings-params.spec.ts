import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type Json, type TestApi } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';

let db: TestDatabase;
let api: TestApi;
let layer: ReturnType<typeof testDataLayer>;
let deviceId: number;

const T0 = Date.parse('2024-03-01T00:00:00Z');

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  layer = testDataLayer(db);
  const owner = await layer.newUser('owner');
  const created = await api.request('/v0/devices', {
    method: 'POST',
    token: owner.token,
    body: { name: 'Kit' },
  });
  deviceId = (await created.json()).id;
  // Readings at 00:05 and 00:25 (the 00:00 and 00:20 intervals), then a gap until 01:05;
  // sub-second readings at 02:00:00.100 and .350; and recent ones for `relative`.
  const now = Date.now();
  await layer.storeReadings(
    [
      [T0 + 5 * 60_000, 1],
      [T0 + 25 * 60_000, 3],
      [T0 + 65 * 60_000, 5],
      [T0 + 7_200_100, 7],
      [T0 + 7_200_350, 9],
      [now - 2 * 3_600_000, 11],
      [now - 30 * 3_600_000, 13],
    ].map(([at, value]) => ({ deviceId, sensorId: 55, recordedAt: at, value })),
  );
});

afterAll(async () => {
  await api?.stop();
  await layer?.close();
  await db?.drop();
});

async function readings(query: string): Promise<Json> {
  const response = await api.request(`/v0/devices/${deviceId}/readings?sensor_id=55&${query}`);
  const body = await response.json();
  expect(response.status, JSON.stringify(body)).toBe(200);
  return body;
}

describe('readings parameters of the reference', () => {
  it('all_intervals=true answers every interval of a 10m+ rollup, null where nothing was read', async () => {
    const body = await readings(
      'rollup=20m&from=2024-03-01T00:00:00Z&to=2024-03-01T01:20:00Z&all_intervals=true',
    );
    expect(body.readings).toEqual([
      ['2024-03-01T01:00:00Z', 5],
      ['2024-03-01T00:40:00Z', null],
      ['2024-03-01T00:20:00Z', 3],
      ['2024-03-01T00:00:00Z', 1],
    ]);
    expect(body.sample_size).toBe(3);
    const plain = await readings('rollup=20m&from=2024-03-01T00:00:00Z&to=2024-03-01T01:20:00Z');
    expect(plain.readings.map(([at]: [string]) => at)).toEqual([
      '2024-03-01T01:00:00Z',
      '2024-03-01T00:20:00Z',
      '2024-03-01T00:00:00Z',
    ]);
  });

  it('all_intervals is ignored below 10 minutes, and refuses more than 100,000 intervals', async () => {
    const small = await readings(
      'rollup=5m&from=2024-03-01T00:00:00Z&to=2024-03-01T01:20:00Z&all_intervals=true',
    );
    expect(small.readings.every(([, v]: [string, number | null]) => v !== null)).toBe(true);
    const response = await api.request(
      `/v0/devices/${deviceId}/readings?sensor_id=55&rollup=10m&from=2000-01-01&to=2024-01-01&all_intervals=true`,
    );
    expect(response.status).toBe(400);
    expect((await response.json()).message).toMatch(/more than 100000 intervals/);
  });

  it('limit keeps the newest buckets, also after filling', async () => {
    const body = await readings('rollup=20m&from=2024-03-01T00:00:00Z&to=2024-03-01T01:20:00Z&limit=2');
    expect(body.readings).toEqual([
      ['2024-03-01T01:00:00Z', 5],
      ['2024-03-01T00:20:00Z', 3],
    ]);
    const filled = await readings(
      'rollup=20m&from=2024-03-01T00:00:00Z&to=2024-03-01T01:20:00Z&limit=2&all_intervals=true',
    );
    expect(filled.readings).toEqual([
      ['2024-03-01T01:00:00Z', 5],
      ['2024-03-01T00:40:00Z', null],
    ]);
  });

  it('rollups in ms answer millisecond bucket times', async () => {
    const body = await readings('rollup=250ms&from=2024-03-01T02:00:00Z&to=2024-03-01T02:00:01Z');
    expect(body.rollup).toBe('250ms');
    expect(body.readings).toEqual([
      ['2024-03-01T02:00:00.250Z', 9],
      ['2024-03-01T02:00:00.000Z', 7],
    ]);
  });

  it('a rollup of 0s (a chart wider than its range in seconds) is read as 1s', async () => {
    const body = await readings('rollup=0s&from=2024-03-01T00:00:00Z&to=2024-03-01T00:30:00Z');
    expect(body.rollup).toBe('1s');
    expect(body.readings).toEqual([
      ['2024-03-01T00:25:00Z', 3],
      ['2024-03-01T00:05:00Z', 1],
    ]);
  });

  it('relative sets from when it is absent; function defaults to avg', async () => {
    const day = await readings('rollup=1y&relative=1d');
    expect(day.function).toBe('avg');
    expect(Date.parse(day.to) - Date.parse(day.from)).toBe(86_400_000);
    expect(day.sample_size).toBe(1);
    expect(day.readings[0][1]).toBe(11);
    const twoDays = await readings('rollup=1y&relative=2d');
    expect(twoDays.sample_size).toBe(2);
    const fixed = await readings('rollup=1y&relative=1d&from=2024-03-01&to=2024-03-02');
    expect(fixed.from).toBe('2024-03-01T00:00:00Z');
    expect(fixed.sample_size).toBe(5);
  });
});
