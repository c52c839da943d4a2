import { beforeAll, describe, expect, it } from 'vitest';
import type { StoredReading } from '#db';
import { ingestErrorResponse, readingsResponse } from '../../apps/api/src/readings/readings.dto.js';
import { type Fn, type Sample, type Unit, rollup } from '../helpers/rollup.js';
import { useContext } from '../helpers/context.js';
import type { TestUser } from '../helpers/repositories.js';

const ctx = useContext({ api: true });
let owner: TestUser;
let other: TestUser;
let admin: TestUser;
let deviceId: number;
let privateId: number;

/** Every 7 minutes from 2023-11-20 to 2024-02-10 (across a year and several months), sensor 55. */
const START = Date.parse('2023-11-20T00:00:00Z');
const samples: Sample[] = Array.from({ length: Math.floor((82 * 86_400_000) / 420_000) }, (_, i) => ({
  at: START + i * 420_000,
  value: Math.round((20 + 10 * Math.sin(i / 50) + (i % 7) / 3) * 100) / 100,
}));

beforeAll(async () => {
  owner = await ctx.newUser('owner');
  other = await ctx.newUser('other');
  admin = await ctx.newUser('admin', 'admin');
  deviceId = (await ctx.postDevice(owner.token, { name: 'Rooftop' })).id;
  privateId = (await ctx.postDevice(owner.token, { name: 'Bedroom', is_private: true })).id;
  const toStored =
    (id: number, sensorId: number) =>
    (s: Sample): StoredReading => ({
      deviceId: id,
      sensorId,
      recordedAt: s.at,
      value: s.value,
    });
  await ctx.storeReadings(samples.map(toStored(deviceId, 55)));
  await ctx.storeReadings(samples.slice(0, 100).map(toStored(privateId, 55)));
  // Recent readings of sensor 56, to check the default window (to = now, from = to − 6 weeks).
  const now = Date.now();
  await ctx.storeReadings(
    [1, 10, 41, 43, 60].map((daysAgo) => ({
      deviceId,
      sensorId: 56,
      recordedAt: now - daysAgo * 86_400_000,
      value: daysAgo,
    })),
  );
});

async function readings(query: string, token?: string, id = deviceId) {
  return ctx.api.request(`/v0/devices/${id}/readings?${query}`, { token });
}

function expectBuckets(actual: [string, number | null][], expected: [string, number][]) {
  expect(actual.map(([at]) => at)).toEqual(expected.map(([at]) => at));
  actual.forEach(([, value], i) => expect(value!).toBeCloseTo(expected[i][1], 9));
}

describe('GET /v0/devices/:id/readings', () => {
  it('answers the v0 shape, newest bucket first', async () => {
    const response = await readings('sensor_id=55&rollup=1d&from=2024-01-01&to=2024-01-04');
    expect(response.status).toBe(200);
    const body = readingsResponse.parse(await response.json());
    expect(Object.keys(body)).toEqual([
      'device_id',
      'sensor_key',
      'sensor_id',
      'component_id',
      'rollup',
      'function',
      'from',
      'to',
      'sample_size',
      'readings',
    ]);
    const { rows } = await ctx.db.sql.query(
      'SELECT id FROM device_sensors WHERE device_id = $1 AND sensor_id = 55',
      [deviceId],
    );
    const from = Date.parse('2024-01-01T00:00:00Z');
    const to = Date.parse('2024-01-04T00:00:00Z');
    const inRange = samples.filter((s) => s.at >= from && s.at < to);
    expect(body).toMatchObject({
      device_id: deviceId,
      sensor_key: 'temperature',
      sensor_id: 55,
      component_id: rows[0].id,
      rollup: '1d',
      function: 'avg',
      from: '2024-01-01T00:00:00Z',
      to: '2024-01-04T00:00:00Z',
      sample_size: inRange.length,
    });
    expectBuckets(body.readings, rollup(inRange, 1, 'd', 'avg'));
    expect(body.readings.map(([at]) => at)).toEqual([
      '2024-01-03T00:00:00Z',
      '2024-01-02T00:00:00Z',
      '2024-01-01T00:00:00Z',
    ]);
  });

  const units: [string, number, Unit, string, string][] = [
    ['years', 1, 'y', '2023-01-01', '2025-01-01'],
    ['months', 2, 'M', '2023-11-01', '2024-03-01'],
    ['months (1)', 1, 'M', '2023-11-25', '2024-02-10'],
    ['weeks (Monday-aligned)', 1, 'w', '2023-12-01', '2024-01-15'],
    ['days', 3, 'd', '2023-12-20', '2024-01-10'],
    ['hours', 6, 'h', '2024-01-05T00:00:00Z', '2024-01-07T00:00:00Z'],
    ['minutes', 30, 'm', '2024-01-05T10:00:00Z', '2024-01-05T14:00:00Z'],
    ['seconds', 600, 's', '2024-01-05T10:00:00Z', '2024-01-05T12:00:00Z'],
  ];
  it.each(units)('rolls up by %s', async (_label, count, unit, fromText, toText) => {
    const from = Date.parse(fromText.length === 10 ? `${fromText}T00:00:00Z` : fromText);
    const to = Date.parse(toText.length === 10 ? `${toText}T00:00:00Z` : toText);
    const inRange = samples.filter((s) => s.at >= from && s.at < to);
    for (const fn of ['avg', 'max'] as Fn[]) {
      const body = await (
        await readings(`sensor_id=55&rollup=${count}${unit}&function=${fn}&from=${fromText}&to=${toText}`)
      ).json();
      const expected = rollup(inRange, count, unit, fn);
      expect(expected.length).toBeGreaterThan(1);
      expectBuckets(body.readings, expected);
      expect(body.sample_size).toBe(inRange.length);
      if (unit === 'w') {
        expect(body.readings.every(([at]: [string]) => new Date(at).getUTCDay() === 1)).toBe(true);
      }
    }
  });

  it.each(['avg', 'min', 'max', 'sum', 'count', 'first', 'last'] as Fn[])(
    'computes %s per bucket',
    async (fn) => {
      const from = Date.parse('2023-12-30T00:00:00Z');
      const to = Date.parse('2024-01-02T06:00:00Z');
      const body = await (
        await readings(`sensor_id=55&rollup=12h&function=${fn}&from=2023-12-30&to=2024-01-02T06:00:00Z`)
      ).json();
      expect(body.function).toBe(fn);
      expectBuckets(
        body.readings,
        rollup(
          samples.filter((s) => s.at >= from && s.at < to),
          12,
          'h',
          fn,
        ),
      );
    },
  );

  it('reads from/to as dates, date-times with offsets, or epoch seconds — the same instants give the same answer', async () => {
    const forms = [
      'from=2024-01-05T00:00:00Z&to=2024-01-06T00:00:00Z',
      'from=2024-01-05&to=2024-01-06',
      `from=${Date.parse('2024-01-05T00:00:00Z') / 1000}&to=${Date.parse('2024-01-06T00:00:00Z') / 1000}`,
      'from=2024-01-05T01:00:00%2B01:00&to=2024-01-05T19:00:00-05:00',
      // An unencoded "+" arrives as a space.
      'from=2024-01-05T02:00:00+02:00&to=2024-01-06 00:00:00',
    ];
    const answers = [];
    for (const form of forms) {
      const response = await readings(`sensor_id=55&rollup=1h&${form}`);
      expect(response.status, form).toBe(200);
      const body = await response.json();
      expect([body.from, body.to], form).toEqual(['2024-01-05T00:00:00Z', '2024-01-06T00:00:00Z']);
      answers.push(body.readings);
    }
    expect(answers[0]).toHaveLength(24);
    for (const answer of answers) expect(answer).toEqual(answers[0]);
  });

  it('defaults to = now and from = to − 6 weeks', async () => {
    const before = Date.now();
    const body = await (await readings('sensor_id=56&rollup=1d&function=max')).json();
    const to = Date.parse(body.to);
    expect(to).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(to - Date.parse(body.from)).toBe(42 * 86_400_000);
    expect(body.readings.map(([, v]: [string, number]) => v)).toEqual([1, 10, 41]);
    expect(body.sample_size).toBe(3);
  });

  it('finds the sensor by sensor_key (a slug of its name)', async () => {
    const body = await (
      await readings('sensor_key=temperature&rollup=1y&function=count&from=2023-01-01')
    ).json();
    expect(body.sensor_id).toBe(55);
    expect(body.readings.reduce((n: number, [, v]: [string, number]) => n + v, 0)).toBe(samples.length);
  });

  it('answers 200 with no readings for a sensor the device never reported', async () => {
    const body = readingsResponse.parse(
      await (await readings('sensor_id=14&rollup=1h&from=2024-01-01&to=2024-01-02')).json(),
    );
    expect(body).toEqual({
      device_id: deviceId,
      sensor_key: 'light',
      sensor_id: 14,
      component_id: null,
      rollup: '1h',
      function: 'avg',
      from: '2024-01-01T00:00:00Z',
      to: '2024-01-02T00:00:00Z',
      sample_size: 0,
      readings: [],
    });
  });

  it('answers 404 for an unknown device or sensor', async () => {
    const device = await ctx.api.request('/v0/devices/999999/readings?sensor_id=55&rollup=1h');
    expect(device.status).toBe(404);
    expect((await device.json()).id).toBe('record_not_found');
    const sensor = await readings('sensor_id=999999&rollup=1h');
    expect(sensor.status).toBe(404);
    expect((await sensor.json()).message).toMatch(/Sensor 999999 not found/);
    expect((await readings('sensor_key=no_such_thing&rollup=1h')).status).toBe(404);
    // Both unknown: the device is named, as when the lookups ran one after the other.
    const both = await ctx.api.request('/v0/devices/999999/readings?sensor_id=999999&rollup=1h');
    expect(both.status).toBe(404);
    expect((await both.json()).message).toMatch(/Device 999999 not found/);
  });

  it('answers 404 for an archived device, and names the device before a sensor or key it does not know', async () => {
    const archivedId = (await ctx.postDevice(owner.token, { name: 'Gone' })).id as number;
    await ctx.storeReadings(
      samples
        .slice(0, 10)
        .map((s) => ({ deviceId: archivedId, sensorId: 55, recordedAt: s.at, value: s.value })),
    );
    const query = 'sensor_id=55&rollup=1d&from=2023-11-01&to=2023-12-01&function=count';
    expect((await (await readings(query, owner.token, archivedId)).json()).sample_size).toBe(10);
    expect(
      (await ctx.api.request(`/v0/devices/${archivedId}`, { method: 'DELETE', token: owner.token })).status,
    ).toBe(200);
    for (const q of [query, 'sensor_key=temperature&rollup=1d', 'sensor_key=no_such_thing&rollup=1d']) {
      const response = await readings(q, owner.token, archivedId);
      expect(response.status).toBe(404);
      expect((await response.json()).message).toMatch(`Device ${archivedId} not found`);
    }
    // A private device's 403 also comes before an unknown sensor or key.
    for (const q of ['sensor_id=999999&rollup=1h', 'sensor_key=no_such_thing&rollup=1h']) {
      expect((await readings(q, other.token, privateId)).status).toBe(403);
    }
  });

  it('answers parameter_missing without sensor_id/sensor_key or rollup', async () => {
    for (const [query, message] of [
      ['rollup=1h', /sensor_id \(or sensor_key\) is required/],
      ['sensor_id=55', /rollup is required.*y \(years\), M \(months\)/],
    ] as const) {
      const response = await readings(query);
      expect(response.status, query).toBe(400);
      const body = await response.json();
      expect(body.id, query).toBe('parameter_missing');
      expect(body.message, query).toMatch(message);
    }
  });

  it('answers 400 naming the parameter and its accepted forms, never a 500', async () => {
    const cases: [string, RegExp][] = [
      ['rollup=1x', /rollup is invalid.*an integer followed by a unit/],
      ['rollup=-1h', /rollup is invalid/],
      ['rollup=1h&limit=0', /limit is invalid/],
      ['rollup=1h&relative=0d', /relative is invalid/],
      ['rollup=1h&all_intervals=yes', /all_intervals is invalid/],
      ['rollup=h', /rollup is invalid/],
      ['rollup=1h&function=median', /function is invalid.*avg, min, max, sum, count, first, last/],
      ['rollup=1h&from=yesterday', /from is invalid.*ISO 8601 date.*epoch seconds/],
      ['rollup=1h&to=2024-02-30', /to is invalid/],
      ['rollup=1h&from=2024-13-01T00:00:00Z', /from is invalid/],
      ['rollup=1h&from=99999999999999999999', /from is invalid/],
      ['rollup=1h&from=2024-01-02&to=2024-01-01', /from \(2024-01-02T00:00:00Z\) must be before to/],
      ['rollup=1h&sensor_id=abc', /sensor_id is invalid.*positive integer/],
      ['rollup=1h&sensor_id=99999999999', /sensor_id is invalid/],
    ];
    for (const [query, message] of cases) {
      const response = await readings(query.includes('sensor_id') ? query : `sensor_id=55&${query}`);
      expect(response.status, query).toBe(400);
      const body = await response.json();
      expect(body.id, query).toBe('bad_request');
      expect(body.message, query).toMatch(message);
    }
  });

  it('accepts the largest rollups without failing', async () => {
    for (const rollupText of ['1000y', '12000M', '52000w', '365000d', '2000000000s']) {
      const response = await readings(`sensor_id=55&rollup=${rollupText}&from=0&function=count`);
      expect(response.status, rollupText).toBe(200);
      expect((await response.json()).sample_size).toBe(samples.length);
    }
  });

  it("refuses a private device's readings to guests and other users (403) and serves them to its owner and admins", async () => {
    const query = 'sensor_id=55&rollup=1d&from=2023-11-01&to=2023-12-01&function=count';
    for (const token of [undefined, other.token]) {
      const response = await readings(query, token, privateId);
      expect(response.status).toBe(403);
      expect((await response.json()).id).toBe('forbidden');
    }
    for (const token of [owner.token, admin.token]) {
      const body = await (await readings(query, token, privateId)).json();
      expect(body.sample_size).toBe(100);
    }
  });
});

describe('GET /v0/devices/:id/ingest_errors', () => {
  beforeAll(async () => {
    const token = (await ctx.db.sql.query('SELECT token FROM devices WHERE id = $1', [deviceId])).rows[0]
      .token;
    for (const reason of ['unknown_sensor', 'timestamp_future', 'raw_grammar'] as const) {
      await ctx.data.ingest.recordErrors([
        {
          reason,
          message: `a ${reason}`,
          deviceId,
          token,
          topic: `device/sck/${token}/readings/raw`,
          item: reason === 'raw_grammar' ? undefined : { id: 9999, value: 1 },
          payload: reason === 'raw_grammar' ? Buffer.from('{t:oops}') : undefined,
        },
      ]);
    }
  });

  it('lists the newest rejections first with their reason codes, paginated, to the owner and admins', async () => {
    const response = await ctx.api.request(`/v0/devices/${deviceId}/ingest_errors?per_page=2`, {
      token: owner.token,
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('total')).toBe('3');
    expect(response.headers.get('per-page')).toBe('2');
    expect(response.headers.get('link')).toMatch(/per_page=2&page=2>; rel="next"/);
    const body = await response.json();
    for (const error of body) ingestErrorResponse.parse(error);
    expect(body.map((e: { reason: string }) => e.reason)).toEqual(['raw_grammar', 'timestamp_future']);
    expect(body[0]).toMatchObject({
      message: 'a raw_grammar',
      item: null,
      payload_base64: Buffer.from('{t:oops}').toString('base64'),
    });
    expect(body[1].item).toEqual({ id: 9999, value: 1 });
    const asAdmin = await ctx.api.request(`/v0/devices/${deviceId}/ingest_errors?page=2&per_page=2`, {
      token: admin.token,
    });
    expect((await asAdmin.json()).map((e: { reason: string }) => e.reason)).toEqual(['unknown_sensor']);
  });

  it('refuses guests (401) and other users (403)', async () => {
    const guest = await ctx.api.request(`/v0/devices/${deviceId}/ingest_errors`);
    expect(guest.status).toBe(401);
    expect((await guest.json()).id).toBe('unauthorized');
    const stranger = await ctx.api.request(`/v0/devices/${deviceId}/ingest_errors`, { token: other.token });
    expect(stranger.status).toBe(403);
    expect((await ctx.api.request('/v0/devices/999999/ingest_errors', { token: admin.token })).status).toBe(
      404,
    );
  });
});
