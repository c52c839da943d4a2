import { get as httpGet } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deviceResponse } from '../../apps/api/src/devices/devices.dto.js';
import { worldMapDeviceResponse } from '../../apps/api/src/world-map/world-map.dto.js';
import { startTestApi, type Json, type TestApi } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import {
  connectorDevice,
  connectorMeasurement,
  connectorSensor,
  worldMapItem,
} from '../helpers/client-contracts.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';

let db: TestDatabase;
let api: TestApi;
let layer: ReturnType<typeof testDataLayer>;
type User = Awaited<ReturnType<typeof layer.newUser>>;
let ana: User;
let bob: User;
let admin: User;
let kit: Json;
let hidden: Json;

async function post(token: string, body: Record<string, unknown>): Promise<Json> {
  const response = await api.request('/v0/devices', { method: 'POST', token, body });
  expect(response.status).toBe(201);
  return response.json();
}

async function get(path: string, token?: string): Promise<Json> {
  const response = await api.request(path, { token });
  expect(response.status).toBe(200);
  return response.json();
}

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  layer = testDataLayer(db);
  ana = await layer.newUser('ana');
  bob = await layer.newUser('bob');
  admin = await layer.newUser('ada', 'admin');
  await db.sql.query(
    `UPDATE users SET city = 'Barcelona', country_code = 'ES', url = 'https://ana.example',
            profile_picture = 'https://ana.example/me.png' WHERE id = $1`,
    [ana.id],
  );
  kit = await post(ana.token, {
    name: 'Balcony',
    latitude: 41.3968,
    longitude: 2.1942,
    exposure: 'outdoor',
    city: 'Barcelona',
    country_code: 'es',
    user_tags: 'Barcelona,Roof',
  });
  hidden = await post(ana.token, { name: 'Bedroom', is_private: true, latitude: 41.4, longitude: 2.2 });
  const silent = await post(bob.token, { name: 'Never sent', latitude: 40, longitude: 3 });
  const nowhere = await post(bob.token, { name: 'No place' });
  const now = Date.now();
  await layer.storeReadings([
    { deviceId: kit.id, sensorId: 55, recordedAt: now - 10 * 60_000, value: 20.25 },
    { deviceId: kit.id, sensorId: 55, recordedAt: now - 5 * 60_000, value: 21.5 },
    { deviceId: kit.id, sensorId: 10, recordedAt: now - 5 * 60_000, value: 88 },
    { deviceId: hidden.id, sensorId: 55, recordedAt: now - 5 * 60_000, value: 19 },
    { deviceId: nowhere.id, sensorId: 55, recordedAt: now - 5 * 60_000, value: 18 },
  ]);
  await db.sql.query(`UPDATE devices SET hardware_info = '{"hw_ver":"2.1"}' WHERE id = $1`, [kit.id]);
  await db.sql.query(
    `INSERT INTO postprocessings (device_id, blueprint_url, forwarding_params, meta, latest_postprocessing)
     VALUES ($1, 'https://example.org/sck_21.json', 3, 'calibrated', '2024-05-01T10:00:00.5Z')`,
    [kit.id],
  );
  expect(silent.state).toBe('never_published');
});

afterAll(async () => {
  await api?.stop();
  await layer?.close();
  await db?.drop();
});

describe('the device JSON the Python connector and the web app read', () => {
  it('validates field by field for a guest, with notify, the owner profile and the sensors', async () => {
    const device = await get(`/v0/devices/${kit.id}`);
    connectorDevice.parse(device);
    deviceResponse.parse(device);
    expect(device.notify).toEqual({ stopped_publishing: false, low_battery: false });
    expect(device.device_token).toBe('[FILTERED]');
    expect(device.postprocessing).toEqual({
      id: expect.any(Number),
      blueprint_url: 'https://example.org/sck_21.json',
      hardware_url: null,
      forwarding_params: 3,
      meta: 'calibrated',
      latest_postprocessing: '2024-05-01T10:00:00Z',
      created_at: expect.stringMatching(/Z$/),
      updated_at: expect.stringMatching(/Z$/),
      device_id: kit.id,
    });
    expect(device.location).toEqual({
      exposure: 'outdoor',
      latitude: 41.3968,
      longitude: 2.1942,
      geohash: 'sp3e9bj',
      city: 'Barcelona',
      country_code: 'ES',
      country: 'Spain',
    });
    // The private device of the same owner is not revealed to a guest.
    expect(device.owner).toEqual({
      id: ana.id,
      uuid: ana.uuid,
      username: 'ana',
      url: 'https://ana.example',
      profile_picture: 'https://ana.example/me.png',
      location: { city: 'Barcelona', country: 'Spain', country_code: 'ES' },
      device_ids: [kit.id],
    });
    const [battery, temperature] = device.data.sensors;
    expect([battery.name, temperature.name]).toEqual(['Battery', 'Temperature']);
    expect(temperature).toMatchObject({
      id: 55,
      ancestry: null,
      default_key: 'temperature',
      value: 21.5,
      prev_value: 20.25,
      tags: [],
      measurement: { name: 'temperature', description: expect.any(String), definition: null },
    });
    expect(temperature.uuid).toMatch(/^[0-9a-f-]{36}$/);
    expect(battery).toMatchObject({ value: 88, prev_value: null, measurement: { name: 'battery' } });
    expect(device.experiment_ids).toEqual([]);
  });

  it("shows the owner's private devices among device_ids to the owner only", async () => {
    const own = await get(`/v0/devices/${kit.id}`, ana.token);
    expect(own.owner.device_ids).toEqual([kit.id, hidden.id]);
    connectorDevice.parse(own);
    expect((await get(`/v0/devices/${kit.id}`, bob.token)).owner.device_ids).toEqual([kit.id]);
  });

  it('lets the owner set the notification settings, and nobody else', async () => {
    const patched = await api.request(`/v0/devices/${kit.id}`, {
      method: 'PATCH',
      token: ana.token,
      body: { notify_low_battery: true, notify_stopped_publishing: 'true' },
    });
    expect(patched.status).toBe(200);
    expect((await patched.json()).notify).toEqual({ stopped_publishing: true, low_battery: true });
    const { rows } = await db.sql.query(
      'SELECT notify_low_battery, notify_stopped_publishing FROM devices WHERE id = $1',
      [kit.id],
    );
    expect(rows[0]).toEqual({ notify_low_battery: true, notify_stopped_publishing: true });
    const stranger = await api.request(`/v0/devices/${kit.id}`, {
      method: 'PATCH',
      token: bob.token,
      body: { notify_low_battery: false },
    });
    expect(stranger.status).toBe(403);
    const bad = await api.request(`/v0/devices/${kit.id}`, {
      method: 'PATCH',
      token: ana.token,
      body: { notify_low_battery: 'often' },
    });
    expect(bad.status).toBe(422);
    expect((await bad.json()).errors).toHaveProperty('notify_low_battery');
  });

  it('lets the owner set and remove the post-processing settings, in one transaction with the device', async () => {
    const set = await api.request(`/v0/devices/${hidden.id}`, {
      method: 'PATCH',
      token: ana.token,
      body: {
        name: 'Bedroom 2',
        postprocessing_attributes: { hardware_url: 'https://example.org/hw.json', forwarding_params: 7 },
      },
    });
    expect(set.status).toBe(200);
    const device = await set.json();
    connectorDevice.parse(device);
    expect(device.name).toBe('Bedroom 2');
    expect(device.postprocessing).toMatchObject({
      hardware_url: 'https://example.org/hw.json',
      forwarding_params: 7,
      blueprint_url: null,
      device_id: hidden.id,
    });
    const update = await api.request(`/v0/devices/${hidden.id}`, {
      method: 'PATCH',
      token: ana.token,
      body: { postprocessing_attributes: { meta: 'v2', latest_postprocessing: '2024-06-01T12:00:00Z' } },
    });
    expect((await update.json()).postprocessing).toMatchObject({
      hardware_url: 'https://example.org/hw.json',
      meta: 'v2',
      latest_postprocessing: '2024-06-01T12:00:00Z',
    });
    const bad = await api.request(`/v0/devices/${hidden.id}`, {
      method: 'PATCH',
      token: ana.token,
      body: { postprocessing_attributes: { hardware_url: 'ftp://x', colour: 'red' } },
    });
    expect(bad.status).toBe(422);
    const removed = await api.request(`/v0/devices/${hidden.id}`, {
      method: 'PATCH',
      token: ana.token,
      body: { postprocessing_attributes: null },
    });
    expect((await removed.json()).postprocessing).toBeNull();
    const { rows } = await db.sql.query(
      'SELECT count(*)::int AS n FROM postprocessings WHERE device_id = $1',
      [hidden.id],
    );
    expect(rows[0].n).toBe(0);
  });

  it('lists devices in the same item shape as it shows one', async () => {
    for (const token of [undefined, ana.token]) {
      const list = await get(`/v0/devices?q[id_in][]=${kit.id}`, token);
      const one = await get(`/v0/devices/${kit.id}`, token);
      expect(list).toHaveLength(1);
      expect({ ...list[0], system_tags: null }).toEqual({ ...one, system_tags: null });
    }
  });
});

describe('GET /v0/devices/world_map and fresh_world_map', () => {
  const SLIM_KEYS = [
    'id',
    'name',
    'description',
    'state',
    'system_tags',
    'user_tags',
    'last_reading_at',
    'location',
    'hardware',
  ];

  it('lists public devices with a location that have published, slim, unpaginated', async () => {
    const response = await api.request('/v0/devices/world_map');
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('public, max-age=60');
    expect(response.headers.get('link')).toBeNull();
    const map: Json[] = await response.json();
    expect(map.map((d) => d.id)).toEqual([kit.id]);
    const [item] = map;
    expect(Object.keys(item)).toEqual(SLIM_KEYS);
    worldMapItem.parse(item);
    worldMapDeviceResponse.parse(item);
    expect(item.location).toEqual({
      exposure: 'outdoor',
      latitude: 41.3968,
      longitude: 2.1942,
      city: 'Barcelona',
      country: 'Spain',
    });
    expect(item.hardware).toEqual({
      name: 'SmartCitizen Kit 2.1',
      type: 'SCK',
      version: '2.1',
      slug: 'sck:2,1',
      last_status_message: '[FILTERED]',
    });
    expect(item.state).toBe('has_published');
    expect(item.user_tags).toEqual(['Barcelona', 'Roof']);
  });

  it('is served gzipped to clients that accept it, the same JSON', async () => {
    const [zipped, plain] = await Promise.all(
      ['gzip, deflate', 'identity'].map(
        (encoding) =>
          new Promise<{ encoding: string | undefined; body: Buffer }>((resolve, reject) => {
            httpGet(
              `${api.url}/v0/devices/world_map`,
              { headers: { 'accept-encoding': encoding } },
              (response) => {
                const chunks: Buffer[] = [];
                response.on('data', (c: Buffer) => chunks.push(c));
                response.on('end', () =>
                  resolve({ encoding: response.headers['content-encoding'], body: Buffer.concat(chunks) }),
                );
              },
            ).on('error', reject);
          }),
      ),
    );
    expect(zipped.encoding).toBe('gzip');
    expect(plain.encoding).toBeUndefined();
    expect(gunzipSync(zipped.body).toString()).toBe(plain.body.toString());
    expect(JSON.parse(plain.body.toString()).map((d: Json) => d.id)).toEqual([kit.id]);
  });

  it("is served from the cache, while fresh_world_map is current and shows the caller's private devices", async () => {
    const late = await post(bob.token, { name: 'Late', latitude: 10, longitude: 10 });
    await layer.storeReadings([{ deviceId: late.id, sensorId: 55, recordedAt: Date.now() - 1000, value: 1 }]);
    const cached: Json[] = await get('/v0/devices/world_map');
    expect(cached.map((d) => d.id)).toEqual([kit.id]);
    const fresh: Json[] = await get('/v0/devices/fresh_world_map');
    expect(fresh.map((d) => d.id)).toEqual([kit.id, late.id]);
    const mine: Json[] = await get('/v0/devices/fresh_world_map', ana.token);
    expect(mine.map((d) => d.id)).toEqual([kit.id, hidden.id, late.id]);
    const all: Json[] = await get('/v0/devices/fresh_world_map', admin.token);
    expect(all.map((d) => d.id)).toEqual([kit.id, hidden.id, late.id]);
    for (const item of mine) worldMapItem.parse(item);
    expect(mine.every((d) => d.hardware.last_status_message === '[FILTERED]')).toBe(true);
  });
});

describe('sensors, measurements and components', () => {
  it('gives /v0/sensors?per_page=1000 the whole catalogue, each with the measurement the web app reads', async () => {
    const response = await api.request('/v0/sensors?per_page=1000');
    expect(response.headers.get('per-page')).toBe('1000');
    const sensors: Json[] = await response.json();
    expect(sensors).toHaveLength(127);
    for (const sensor of sensors) connectorSensor.parse(sensor);
    expect(sensors.every((s) => s.measurement !== null && s.measurement.description.length > 0)).toBe(true);
    const temperature = sensors.find((s) => s.id === 55);
    expect(temperature).toMatchObject({ default_key: 'temperature', measurement: { name: 'temperature' } });
    expect(await get('/v0/sensors/55')).toEqual(temperature);
  });

  it('lets an admin set what a sensor measures and its tags, and refuses an unknown measurement', async () => {
    const battery = await get('/v0/measurements/1');
    expect(battery).toMatchObject({ id: 1, name: 'battery', definition: null });
    const patched = await api.request('/v0/sensors/97', {
      method: 'PATCH',
      token: admin.token,
      body: { tags: ['raw'], datasheet: 'https://example.org/bq27441.pdf', measurement_id: 1 },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({
      tags: ['raw'],
      datasheet: 'https://example.org/bq27441.pdf',
    });
    const { rows } = await db.sql.query(
      'SELECT tags, edited_at IS NOT NULL AS edited FROM sensors WHERE id = 97',
    );
    expect(rows[0]).toEqual({ tags: ['raw'], edited: true });
    const unknown = await api.request('/v0/sensors/97', {
      method: 'PATCH',
      token: admin.token,
      body: { measurement_id: 9999 },
    });
    expect(unknown.status).toBe(422);
  });

  it('lists measurements and shows one; unknown ones are 404', async () => {
    const response = await api.request('/v0/measurements?per_page=100');
    const measurements: Json[] = await response.json();
    expect(response.headers.get('total')).toBe(String(measurements.length));
    expect(measurements.map((m) => m.name)).toEqual(
      expect.arrayContaining(['temperature', 'PM 2.5', 'battery']),
    );
    for (const m of measurements) connectorMeasurement.parse(m);
    expect((await api.request('/v0/measurements/9999')).status).toBe(404);
  });

  it("lists the components the caller may see; a private device's only to its owner", async () => {
    const guest: Json[] = await get(`/v0/components?per_page=100`);
    expect(guest.some((c) => c.device_id === hidden.id)).toBe(false);
    const ofKit = guest.filter((c) => c.device_id === kit.id).map((c) => [c.sensor_id, c.key]);
    expect(ofKit.sort()).toEqual([
      [10, 'battery'],
      [55, 'temperature'],
    ]);
    const mine: Json[] = await get(`/v0/components?q[device_id_eq]=${hidden.id}`, ana.token);
    expect(mine).toHaveLength(1);
    const [privateOne] = mine;
    expect(await get(`/v0/components/${privateOne.id}`, ana.token)).toEqual(privateOne);
    expect((await api.request(`/v0/components/${privateOne.id}`, { token: bob.token })).status).toBe(403);
    expect((await api.request('/v0/components/999999')).status).toBe(404);
  });
});
