import { Queue } from 'bullmq';
import { beforeAll, describe, expect, it } from 'vitest';
import { JOBS, QUEUES } from '#queues';
import { deviceResponse } from '../../apps/api/src/devices/devices.dto.js';
import { errorResponse } from '../../apps/api/src/common/responses.js';
import { startTestApi, type Json, type TestResponse } from '../../tools/harness/api.js';
import { REDIS_URL } from '../../tools/harness/env.js';
import { waitFor } from '../../tools/harness/poll.js';
import { useContext } from '../helpers/context.js';
import type { TestUser } from '../helpers/repositories.js';

const ctx = useContext({ api: true });
let queue: Queue;
let admin: TestUser;
let ana: TestUser;
let bob: TestUser;

const DEVICE_KEYS = [
  'id',
  'uuid',
  'name',
  'description',
  'state',
  'system_tags',
  'user_tags',
  'last_reading_at',
  'created_at',
  'updated_at',
  'notify',
  'device_token',
  'postprocessing',
  'location',
  'data_policy',
  'hardware',
  'owner',
  'data',
  'experiment_ids',
];

/** The replay job waiting for `token` (jobs are deduplicated per token, their ids are BullMQ's). */
async function replayJob(token: string | null | undefined) {
  const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized', 'active']);
  return jobs.find((j) => (j.data as { token?: string }).token === token);
}

beforeAll(async () => {
  queue = new Queue(QUEUES.deviceLifecycle, { connection: { url: REDIS_URL }, prefix: ctx.api.queuePrefix });
  ctx.defer(() => queue.close());
  admin = await ctx.newUser('ada', 'admin');
  ana = await ctx.newUser('ana');
  bob = await ctx.newUser('bob', 'researcher');
});

async function createDevice(token: string, body: Record<string, unknown>): Promise<Json> {
  const device = await ctx.postDevice(token, body);
  // The documented response schema (OpenAPI) is what the API answers.
  deviceResponse.parse(device);
  return device;
}

async function expectError(response: TestResponse, status: number, id: string, message?: RegExp) {
  expect(response.status).toBe(status);
  const body = await response.json();
  expect(Object.keys(body)).toEqual(['id', 'message', 'url', 'errors']);
  errorResponse.parse(body);
  expect(body.id).toBe(id);
  expect(body.url).toBeNull();
  if (message) expect(body.message).toMatch(message);
  return body;
}

describe('POST /v0/devices', () => {
  it('registers a device owned by the caller with a generated token, and enqueues the replay of parked messages', async () => {
    const device = await createDevice(ana.token, {
      name: 'Balcony kit',
      description: 'on the balcony',
      latitude: 41.3968,
      longitude: 2.1942,
      elevation: 12,
      exposure: 'outdoor',
      user_tags: 'Barcelona, Balcony,Barcelona',
      meta: { floor: 3 },
    });
    expect(Object.keys(device)).toEqual(DEVICE_KEYS);
    expect(device.device_token).toMatch(/^[a-z0-9]{20}$/);
    expect(device).toMatchObject({
      name: 'Balcony kit',
      description: 'on the balcony',
      state: 'never_published',
      system_tags: ['new', 'offline', 'outdoor'],
      user_tags: ['Barcelona', 'Balcony'],
      last_reading_at: null,
      location: {
        exposure: 'outdoor',
        elevation: 12,
        latitude: 41.3968,
        longitude: 2.1942,
        geohash: 'sp3e9bj',
      },
      data_policy: { is_private: false, enable_forwarding: false, precise_location: false },
      hardware: {
        name: 'Unknown',
        type: 'Unknown',
        version: null,
        slug: 'unknown',
        last_status_message: null,
      },
      owner: { id: ana.id, uuid: ana.uuid, username: 'ana' },
      data: { sensors: [] },
    });
    expect(Object.keys(device.location)).toEqual([
      'exposure',
      'elevation',
      'latitude',
      'longitude',
      'geohash',
    ]);
    expect(device.created_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

    const { rows } = await ctx.db.sql.query(
      'SELECT token, owner_id, meta, user_tags FROM devices WHERE id = $1',
      [device.id],
    );
    expect(rows).toEqual([
      {
        token: device.device_token,
        owner_id: ana.id,
        meta: { floor: 3 },
        user_tags: ['Barcelona', 'Balcony'],
      },
    ]);
    const job = await waitFor(() => replayJob(device.device_token), Boolean, {
      what: 'the replay job',
    });
    expect(job!.name).toBe(JOBS.replayParked);
    expect(job!.data).toEqual({ token: device.device_token });
  });

  it('keeps a given token and refuses one that is taken with a 422', async () => {
    const device = await createDevice(bob.token, { name: 'Given token', device_token: 'given1' });
    expect(device.device_token).toBe('given1');
    const again = await ctx.api.request('/v0/devices', {
      method: 'POST',
      token: ana.token,
      body: { name: 'Thief', device_token: 'given1' },
    });
    const body = await expectError(
      again,
      422,
      'unprocessable_entity',
      /device_token "given1" is already taken/,
    );
    expect(body.errors).toEqual({ device_token: ['has already been taken'] });
  });

  it('accepts ?access_token= as well as the Authorization header', async () => {
    const response = await ctx.api.request(`/v0/devices?access_token=${ana.token}`, {
      method: 'POST',
      body: { name: 'By query token' },
    });
    expect(response.status).toBe(201);
    expect((await response.json()).owner.username).toBe('ana');
  });

  it('answers 401 to guests, unknown tokens and malformed headers', async () => {
    await expectError(
      await ctx.api.request('/v0/devices', { method: 'POST', body: { name: 'x' } }),
      401,
      'unauthorized',
      /Bearer/,
    );
    await expectError(
      await ctx.api.request('/v0/devices', { method: 'POST', token: 'not-a-token', body: { name: 'x' } }),
      401,
      'unauthorized',
      /Invalid API token/,
    );
    await expectError(
      await ctx.api.request('/v0/devices', {
        method: 'POST',
        headers: { authorization: 'Token abc' },
        body: {},
      }),
      401,
      'unauthorized',
      /Malformed Authorization header/,
    );
  });

  it('validates every field: 422 naming each bad field and what it accepts, 400 for unreadable bodies', async () => {
    const bad = await expectError(
      await ctx.api.request('/v0/devices', {
        method: 'POST',
        token: ana.token,
        body: { latitude: 91, exposure: 'roof', is_private: 'maybe', device_token: 'a/b' },
      }),
      422,
      'unprocessable_entity',
    );
    expect(Object.keys(bad.errors).sort()).toEqual([
      'device_token',
      'exposure',
      'is_private',
      'latitude',
      'name',
    ]);
    expect(bad.errors.name[0]).toMatch(/name is required/);
    expect(bad.errors.latitude[0]).toMatch(/-90 to 90/);
    expect(bad.errors.exposure[0]).toMatch(/"indoor" or "outdoor"/);
    await expectError(
      await ctx.api.request('/v0/devices', { method: 'POST', token: ana.token, body: ['name'] }),
      400,
      'bad_request',
      /JSON object/,
    );
    const malformed = (await fetch(`${ctx.api.url}/v0/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ana.token}`, 'content-type': 'application/json' },
      body: '{"name":',
    })) as TestResponse;
    await expectError(malformed, 400, 'bad_request', /Malformed request/);
  });

  it('still registers the device when Redis is unreachable', async () => {
    const offline = await startTestApi(ctx.db, { REDIS_URL: 'redis://127.0.0.1:1' });
    try {
      const response = await offline.request('/v0/devices', {
        method: 'POST',
        token: ana.token,
        body: { name: 'No Redis', device_token: 'noredis' },
      });
      expect(response.status).toBe(201);
      const { rows } = await ctx.db.sql.query("SELECT name FROM devices WHERE token = 'noredis'");
      expect(rows).toEqual([{ name: 'No Redis' }]);
    } finally {
      await offline.stop();
    }
  });
});

describe('GET /v0/devices/:id', () => {
  let id: number;
  let token: string;

  beforeAll(async () => {
    const device = await createDevice(ana.token, { name: 'Kitchen', exposure: 'indoor' });
    id = device.id;
    token = device.device_token;
    await ctx.db.sql.query(
      `UPDATE devices SET hardware_info = '{"hw_ver":"2.1","sam_ver":"0.9.8"}' WHERE id = $1`,
      [id],
    );
    await ctx.storeReadings([
      { deviceId: id, sensorId: 55, recordedAt: Date.now() - 5 * 60_000, value: 21.5 },
      { deviceId: id, sensorId: 14, recordedAt: Date.now() - 5 * 60_000, value: 300 },
    ]);
  });

  it('shows the device token and hardware status only to the owner and admins', async () => {
    for (const viewer of [undefined, bob.token]) {
      const body = await (await ctx.api.request(`/v0/devices/${id}`, { token: viewer })).json();
      expect(body.device_token).toBe('[FILTERED]');
      expect(body.hardware).toEqual({
        name: 'SmartCitizen Kit 2.1',
        type: 'SCK',
        version: '2.1',
        slug: 'sck:2,1',
        last_status_message: '[FILTERED]',
      });
    }
    for (const viewer of [ana.token, admin.token]) {
      const body = deviceResponse.parse(
        await (await ctx.api.request(`/v0/devices/${id}`, { token: viewer })).json(),
      );
      expect(body.device_token).toBe(token);
      expect(body.hardware.last_status_message).toEqual({ hw_ver: '2.1', sam_ver: '0.9.8' });
    }
  });

  it('lists the latest value of each sensor, sorted by name, and derives state and system tags', async () => {
    const body = deviceResponse.parse(await (await ctx.api.request(`/v0/devices/${id}`)).json());
    expect(body.state).toBe('has_published');
    expect(body.system_tags).toEqual(['indoor', 'new', 'online']);
    expect(
      body.data.sensors.map((s: { id: number; name: string; value: number }) => [s.id, s.name, s.value]),
    ).toEqual([
      [14, 'Light', 300],
      [55, 'Temperature', 21.5],
    ]);
    expect(Object.keys(body.data.sensors[0])).toEqual([
      'id',
      'ancestry',
      'name',
      'description',
      'unit',
      'created_at',
      'updated_at',
      'uuid',
      'default_key',
      'datasheet',
      'unit_definition',
      'measurement',
      'value',
      'prev_value',
      'last_reading_at',
      'tags',
    ]);
  });

  it("shows each sensor's newest reading, also for a sensor silent for weeks, never an older one", async () => {
    const balcony = await createDevice(ana.token, { name: 'Balcony' });
    const ago = (ms: number) => Date.now() - ms;
    const day = 86_400_000;
    await ctx.storeReadings([
      { deviceId: balcony.id, sensorId: 55, recordedAt: ago(40 * day), value: 10 },
      { deviceId: balcony.id, sensorId: 56, recordedAt: ago(40 * day), value: 60 },
    ]);
    // Only the temperature goes on reporting: the humidity's newest row is outside the window
    // searched first (7 days before the device's last reading).
    await ctx.storeReadings([{ deviceId: balcony.id, sensorId: 55, recordedAt: ago(3_600_000), value: 20 }]);
    // Backlog, older than what is stored: must not become the latest value.
    await ctx.storeReadings([
      { deviceId: balcony.id, sensorId: 55, recordedAt: ago(7_200_000), value: 5 },
      { deviceId: balcony.id, sensorId: 56, recordedAt: ago(45 * day), value: 99 },
    ]);
    const body = deviceResponse.parse(await (await ctx.api.request(`/v0/devices/${balcony.id}`)).json());
    const sensors = body.data.sensors as { id: number; value: number; last_reading_at: string }[];
    expect(sensors.map((s) => [s.id, s.value]).sort((a, b) => a[0] - b[0])).toEqual([
      [55, 20],
      [56, 60],
    ]);
    const listed = await (await ctx.api.request(`/v0/devices?q[id_in][]=${balcony.id}`)).json();
    expect(
      (listed[0].data.sensors as { id: number; value: number }[])
        .map((s) => [s.id, s.value])
        .sort((a, b) => a[0] - b[0]),
    ).toEqual([
      [55, 20],
      [56, 60],
    ]);
  });

  it('answers 404 for unknown and malformed ids', async () => {
    await expectError(
      await ctx.api.request('/v0/devices/999999'),
      404,
      'record_not_found',
      /Device 999999 not found/,
    );
    await expectError(await ctx.api.request('/v0/devices/abc'), 404, 'record_not_found');
  });
});

describe('private devices', () => {
  let id: number;

  beforeAll(async () => {
    id = (await createDevice(bob.token, { name: 'Secret garden', is_private: true })).id;
  });

  it('are refused (403) to guests and other users, shown to the owner and admins', async () => {
    await expectError(await ctx.api.request(`/v0/devices/${id}`), 403, 'forbidden', /private/);
    await expectError(await ctx.api.request(`/v0/devices/${id}`, { token: ana.token }), 403, 'forbidden');
    expect((await ctx.api.request(`/v0/devices/${id}`, { token: bob.token })).status).toBe(200);
    expect((await ctx.api.request(`/v0/devices/${id}`, { token: admin.token })).status).toBe(200);
  });

  it('are listed only to the owner and admins', async () => {
    const ids = async (token?: string) =>
      ((await (await ctx.api.request('/v0/devices?per_page=100', { token })).json()) as { id: number }[]).map(
        (d) => d.id,
      );
    expect(await ids()).not.toContain(id);
    expect(await ids(ana.token)).not.toContain(id);
    expect(await ids(bob.token)).toContain(id);
    expect(await ids(admin.token)).toContain(id);
  });
});

describe('PATCH, PUT and DELETE /v0/devices/:id', () => {
  it('lets the owner change the writable fields', async () => {
    const device = await createDevice(ana.token, { name: 'Old name', user_tags: 'a,b' });
    const response = await ctx.api.request(`/v0/devices/${device.id}`, {
      method: 'PATCH',
      token: ana.token,
      body: { name: 'New name', user_tags: ['c'], latitude: '40.5', longitude: -3.7, precise_location: true },
    });
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body).toMatchObject({
      name: 'New name',
      user_tags: ['c'],
      location: { latitude: 40.5, longitude: -3.7 },
      data_policy: { precise_location: true },
    });
    const put = await ctx.api.request(`/v0/devices/${device.id}`, {
      method: 'PUT',
      token: admin.token,
      body: { description: 'set by an admin' },
    });
    expect((await put.json()).description).toBe('set by an admin');
    const { rows } = await ctx.db.sql.query('SELECT name, description, latitude FROM devices WHERE id = $1', [
      device.id,
    ]);
    expect(rows).toEqual([{ name: 'New name', description: 'set by an admin', latitude: 40.5 }]);
  });

  it('refuses guests (401), other users (403) and unknown devices (404)', async () => {
    const device = await createDevice(ana.token, { name: 'Mine' });
    const path = `/v0/devices/${device.id}`;
    await expectError(
      await ctx.api.request(path, { method: 'PATCH', body: { name: 'x' } }),
      401,
      'unauthorized',
    );
    await expectError(
      await ctx.api.request(path, { method: 'PATCH', token: bob.token, body: { name: 'x' } }),
      403,
      'forbidden',
    );
    await expectError(await ctx.api.request(path, { method: 'DELETE', token: bob.token }), 403, 'forbidden');
    await expectError(
      await ctx.api.request('/v0/devices/999999', { method: 'PATCH', token: ana.token, body: { name: 'x' } }),
      404,
      'record_not_found',
    );
    await expectError(
      await ctx.api.request(path, { method: 'PATCH', token: ana.token, body: { elevation: 1.5 } }),
      422,
      'unprocessable_entity',
      /elevation/,
    );
  });

  it('archives with DELETE, hides the archived device, and brings it back with archived:false', async () => {
    const device = await createDevice(ana.token, { name: 'Seasonal' });
    const token = device.device_token as string;
    const firstJob = await waitFor(() => replayJob(token), Boolean, {
      what: 'the first job',
    });
    await firstJob!.remove();

    const deleted = await ctx.api.request(`/v0/devices/${device.id}`, { method: 'DELETE', token: ana.token });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ message: 'OK' });
    const { rows } = await ctx.db.sql.query('SELECT archived_at FROM devices WHERE id = $1', [device.id]);
    expect(rows[0].archived_at).toBeInstanceOf(Date);
    await expectError(
      await ctx.api.request(`/v0/devices/${device.id}`, { token: ana.token }),
      404,
      'record_not_found',
    );
    const listed = await (await ctx.api.request('/v0/devices?per_page=100', { token: ana.token })).json();
    expect(listed.map((d: { id: number }) => d.id)).not.toContain(device.id);
    await expectError(
      await ctx.api.request(`/v0/devices/${device.id}`, {
        method: 'PATCH',
        token: ana.token,
        body: { name: 'x' },
      }),
      404,
      'record_not_found',
    );

    const back = await ctx.api.request(`/v0/devices/${device.id}`, {
      method: 'PATCH',
      token: ana.token,
      body: { archived: false },
    });
    expect(back.status).toBe(200);
    expect((await ctx.api.request(`/v0/devices/${device.id}`)).status).toBe(200);
    const again = await waitFor(() => replayJob(token), Boolean, { what: 'the replay job' });
    expect(again!.data).toEqual({ token });
  });

  it('enqueues a replay for a device_token changed by PATCH', async () => {
    const device = await createDevice(ana.token, { name: 'Retoken' });
    const response = await ctx.api.request(`/v0/devices/${device.id}`, {
      method: 'PATCH',
      token: ana.token,
      body: { device_token: 'newtok' },
    });
    expect((await response.json()).device_token).toBe('newtok');
    const job = await waitFor(() => replayJob('newtok'), Boolean, { what: 'the replay job' });
    expect(job!.data).toEqual({ token: 'newtok' });
  });

  it('enqueues one replay per token while it waits (deduplicated per token)', async () => {
    const device = await createDevice(ana.token, { name: 'Twice', device_token: 'twice1' });
    await waitFor(() => replayJob('twice1'), Boolean, { what: 'the replay job' });
    await ctx.api.request(`/v0/devices/${device.id}`, { method: 'DELETE', token: ana.token });
    const back = await ctx.api.request(`/v0/devices/${device.id}`, {
      method: 'PATCH',
      token: ana.token,
      body: { archived: false },
    });
    expect(back.status).toBe(200);
    // The second enqueue has had its chance once a later job (another device's) is in the queue.
    await createDevice(ana.token, { name: 'Later', device_token: 'later1' });
    await waitFor(() => replayJob('later1'), Boolean, { what: 'the later job' });
    const jobs = await queue.getJobs(['waiting', 'delayed', 'prioritized']);
    expect(jobs.filter((j) => j.data.token === 'twice1')).toHaveLength(1);
  });
});
