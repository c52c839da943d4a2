import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type Json, type TestApi, type TestResponse } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';

let db: TestDatabase;
let api: TestApi;
let layer: ReturnType<typeof testDataLayer>;
type User = Awaited<ReturnType<typeof layer.newUser>>;
let ana: User;
let bob: User;
let admin: User;
let kit: number;
let privateKit: number;

const HEADER = [
  'TIME,BATT,TEMP,HUM',
  'ISO 8601 UTC,%,C,%',
  'Time,Battery,Temperature,Humidity',
  'TIME,10,55,56',
];

async function stored(deviceId: number) {
  const { rows } = await db.sql.query(
    `SELECT sensor_id, to_char(recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') AS at, value
       FROM readings WHERE device_id = $1 ORDER BY recorded_at, sensor_id`,
    [deviceId],
  );
  return rows.map((r) => [r.sensor_id, r.at, r.value]);
}

async function uploadCsv(
  deviceId: number,
  text: string | ReadableStream<Uint8Array>,
  token = ana.token,
): Promise<TestResponse> {
  return fetch(`${api.url}/v0/devices/${deviceId}/readings/csv`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
    body: text,
    // Node's fetch needs this to send a stream body.
    ...(typeof text === 'string' ? {} : { duplex: 'half' }),
  });
}

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  layer = testDataLayer(db);
  ana = await layer.newUser('ana');
  bob = await layer.newUser('bob');
  admin = await layer.newUser('ada', 'admin');
  const create = async (body: Record<string, unknown>) =>
    (await (await api.request('/v0/devices', { method: 'POST', token: ana.token, body })).json())
      .id as number;
  kit = await create({ name: 'Kit' });
  privateKit = await create({ name: 'Private', is_private: true });
});

afterAll(async () => {
  await api?.stop();
  await layer?.close();
  await db?.drop();
});

describe('POST /v0/devices/:id/readings', () => {
  const body = {
    data: [
      {
        recorded_at: '2024-02-01T10:00:00Z',
        sensors: [
          { id: 55, value: 21.5 },
          { id: 999, value: 1 },
        ],
      },
      { recorded_at: '2099-01-01T00:00:00Z', sensors: [{ id: 55, value: 1 }] },
      {
        recorded_at: '2024-02-01T10:01:00Z',
        sensors: [
          { id: 56, value: 'wet' },
          { id: 56, value: '40.5' },
        ],
      },
    ],
  };

  it('stores through the MQTT rules and says what was stored, duplicated and rejected by reason', async () => {
    const response = await api.request(`/v0/devices/${kit}/readings`, {
      method: 'POST',
      token: ana.token,
      body,
    });
    expect(response.status).toBe(200);
    const answer = await response.json();
    expect(answer).toMatchObject({
      id: 'ok',
      stored: 2,
      duplicated: 0,
      rejected: { unknown_sensor: 1, timestamp_future: 1, value_invalid: 1 },
    });
    expect(answer.rejections).toHaveLength(3);
    expect(await stored(kit)).toEqual([
      [55, '2024-02-01T10:00:00Z', 21.5],
      [56, '2024-02-01T10:01:00Z', 40.5],
    ]);
    const { rows } = await db.sql.query(
      'SELECT reason, topic FROM ingest_errors WHERE device_id = $1 ORDER BY reason',
      [kit],
    );
    expect(rows.map((r) => r.reason)).toEqual(['timestamp_future', 'unknown_sensor', 'value_invalid']);
    expect(rows[0].topic).toBe(`api:POST /v0/devices/${kit}/readings`);
    const again = await (
      await api.request(`/v0/devices/${kit}/readings`, { method: 'POST', token: admin.token, body })
    ).json();
    expect(again).toMatchObject({ stored: 0, duplicated: 2 });
    const device = await (await api.request(`/v0/devices/${kit}`)).json();
    expect(device.last_reading_at).toBe('2024-02-01T10:01:00Z');
  });

  it('refuses guests (401), strangers (403, unlike the reference) and malformed bodies (400)', async () => {
    expect((await api.request(`/v0/devices/${kit}/readings`, { method: 'POST', body })).status).toBe(401);
    expect(
      (await api.request(`/v0/devices/${kit}/readings`, { method: 'POST', token: bob.token, body })).status,
    ).toBe(403);
    const bad = await api.request(`/v0/devices/${kit}/readings`, {
      method: 'POST',
      token: ana.token,
      body: { readings: [] },
    });
    expect(bad.status).toBe(400);
    expect((await bad.json()).message).toMatch(/expected \{"data"/);
  });
});

describe('POST /v0/devices/:id/readings/csv (the SD card file)', () => {
  it('stores every row, skips null cells, rejects bad rows and a truncated last row, by line', async () => {
    const file = [
      ...HEADER,
      '2024-03-01T00:00:00Z,90,20.5,null',
      '2024-03-01T00:01:00Z,,20.6,41',
      'yesterday,1,2,3',
      '2024-03-01T00:02:00Z,89,abc,42',
      '2024-03-01T00:03:00Z,88,20',
    ].join('\r\n');
    const response = await uploadCsv(privateKit, file);
    expect(response.status).toBe(200);
    const answer = await response.json();
    expect(answer).toMatchObject({
      rows: 5,
      accepted_rows: 2,
      rejected_rows: 3,
      stored: 6,
      duplicated: 0,
      rejected: { timestamp_invalid: 1, value_invalid: 1, schema: 1 },
    });
    expect(answer.rejections.map((r: Json) => [r.reason, r.line])).toEqual([
      ['timestamp_invalid', 7],
      ['value_invalid', 8],
      ['schema', 9],
    ]);
    expect(await stored(privateKit)).toEqual([
      [10, '2024-03-01T00:00:00Z', 90],
      [55, '2024-03-01T00:00:00Z', 20.5],
      [55, '2024-03-01T00:01:00Z', 20.6],
      [56, '2024-03-01T00:01:00Z', 41],
      [10, '2024-03-01T00:02:00Z', 89],
      [56, '2024-03-01T00:02:00Z', 42],
    ]);
    const second = await (await uploadCsv(privateKit, file)).json();
    expect(second).toMatchObject({ stored: 0, duplicated: 6 });
    expect(await stored(privateKit)).toHaveLength(6);
  });

  it('answers 400 for a file that ends in its header or has no sensor ids, and 403 to strangers', async () => {
    const short = await uploadCsv(kit, HEADER.slice(0, 2).join('\n'));
    expect(short.status).toBe(400);
    expect((await short.json()).message).toMatch(/ends within its header/);
    const noIds = await uploadCsv(
      kit,
      [...HEADER.slice(0, 3), 'TIME,BATT,TEMP', '2024-01-01T00:00:00Z,1,2'].join('\n'),
    );
    expect(noIds.status).toBe(400);
    expect((await noIds.json()).message).toMatch(/Header row 4/);
    expect((await uploadCsv(kit, HEADER.join('\n'), bob.token)).status).toBe(403);
  });

  it('streams a 100 MB file with bounded memory', async () => {
    const nullRow = '2024-04-01T00:00:00Z,null,null,null\n';
    const rows = Math.ceil((100 * 1024 * 1024) / nullRow.length);
    const encoder = new TextEncoder();
    const block = encoder.encode(nullRow.repeat(2000));
    let sent = 0;
    let peakHeap = 0;
    global.gc?.();
    const baseline = process.memoryUsage().heapUsed;
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(encoder.encode(HEADER.join('\n') + '\n2024-04-01T00:00:00Z,77,null,null\n'));
      },
      pull(controller) {
        peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
        if (sent >= rows) {
          controller.close();
          return;
        }
        controller.enqueue(block);
        sent += 2000;
      },
    });
    const response = await uploadCsv(kit, stream);
    expect(response.status).toBe(200);
    const answer = await response.json();
    expect(answer).toMatchObject({ rows: sent + 1, rejected_rows: 0, stored: 1 });
    expect(sent * nullRow.length).toBeGreaterThanOrEqual(100 * 1024 * 1024);
    // The file never sits in memory: the heap grows by far less than its 100 MB.
    expect(peakHeap - baseline).toBeLessThan(48 * 1024 * 1024);
  });
});

describe('GET /v0/devices/:id/readings.csv', () => {
  it('writes the SD-card layout, one column per sensor, and uploads back to the same readings', async () => {
    const response = await api.request(`/v0/devices/${privateKit}/readings.csv`, { token: ana.token });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await response.text();
    expect(text.split('\n')).toEqual([
      'TIME,battery,temperature,humidity',
      'ISO 8601 UTC,%,C,%',
      'Time,Battery,Temperature,Humidity',
      'TIME,10,55,56',
      '2024-03-01T00:00:00Z,90,20.5,',
      '2024-03-01T00:01:00Z,,20.6,41',
      '2024-03-01T00:02:00Z,89,,42',
      '',
    ]);
    const reupload = await (await uploadCsv(privateKit, text)).json();
    expect(reupload).toMatchObject({ stored: 0, duplicated: 6, rejected_rows: 0 });
    const ranged = await (
      await api.request(
        `/v0/devices/${privateKit}/readings.csv?from=2024-03-01T00:01:00Z&to=2024-03-01T00:02:00Z`,
        {
          token: ana.token,
        },
      )
    ).text();
    expect(ranged.split('\n').slice(4)).toEqual(['2024-03-01T00:01:00Z,,20.6,41', '']);
  });

  it("refuses a private device's export to others (403) and names the link in csv_archive", async () => {
    expect((await api.request(`/v0/devices/${privateKit}/readings.csv`, { token: bob.token })).status).toBe(
      403,
    );
    expect((await api.request(`/v0/devices/${privateKit}/readings.csv`)).status).toBe(403);
    const archive = await (
      await api.request(`/v0/devices/${privateKit}/readings/csv_archive`, { token: ana.token })
    ).json();
    expect(archive).toMatchObject({ id: 'ok', url: `/v0/devices/${privateKit}/readings.csv` });
    expect((await api.request(`/v0/devices/${privateKit}/readings/csv_archive`)).status).toBe(403);
  });

  it('exports a year of minute data with bounded memory', async () => {
    const year = await (
      await api.request('/v0/devices', { method: 'POST', token: ana.token, body: { name: 'Year' } })
    ).json();
    await db.sql.query(
      `INSERT INTO readings (device_id, sensor_id, recorded_at, value)
       SELECT $1, s, t, extract(epoch FROM t) / 60 FROM generate_series(
         '2023-01-01T00:00:00Z'::timestamptz, '2023-12-31T23:59:00Z', interval '1 minute') AS t,
         unnest(ARRAY[55, 56]) AS s`,
      [year.id],
    );
    await db.sql.query('INSERT INTO device_sensors (device_id, sensor_id) VALUES ($1, 55), ($1, 56)', [
      year.id,
    ]);
    await db.sql.query(
      `UPDATE devices SET first_reading_at = '2023-01-01T00:00:00Z', last_reading_at = '2023-12-31T23:59:00Z'
        WHERE id = $1`,
      [year.id],
    );
    global.gc?.();
    const baseline = process.memoryUsage().heapUsed;
    let peakHeap = baseline;
    const response = await api.request(`/v0/devices/${year.id}/readings.csv`, { token: ana.token });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let lines = 0;
    let bytes = 0;
    let tail = '';
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) {
      bytes += chunk.value.length;
      const text = tail + decoder.decode(chunk.value, { stream: true });
      const parts = text.split('\n');
      tail = parts.pop()!;
      lines += parts.length;
      if (lines === parts.length) expect(parts[3]).toBe('TIME,55,56');
      peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
    }
    expect(lines).toBe(4 + 525_600);
    expect(bytes).toBeGreaterThan(19 * 1024 * 1024);
    // 1,051,200 readings and over 19 MB of CSV pass through; one day's rows are held at a time.
    expect(peakHeap - baseline).toBeLessThan(48 * 1024 * 1024);
  }, 180_000);
});
