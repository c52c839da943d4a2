import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { searchResultResponse } from '../../apps/api/src/search/search.dto.js';
import { userResponse } from '../../apps/api/src/users/users.dto.js';
import { startTestApi, type Json, type TestApi } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import { connectorUser, searchResult } from '../helpers/client-contracts.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';

let db: TestDatabase;
let api: TestApi;
let layer: ReturnType<typeof testDataLayer>;
type User = Awaited<ReturnType<typeof layer.newUser>>;
let ana: User;
let bob: User;
let admin: User;
let publicKit: number;
let privateKit: number;

const USER_KEYS = [
  'id',
  'uuid',
  'role',
  'username',
  'profile_picture',
  'url',
  'location',
  'devices',
  'created_at',
  'updated_at',
];

async function json(path: string, token?: string, status = 200): Promise<Json> {
  const response = await api.request(path, { token });
  expect(response.status, path).toBe(status);
  return response.json();
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
  publicKit = await create({
    name: 'Gracia balcony',
    city: 'Barcelona',
    country_code: 'ES',
    latitude: 41.4,
    longitude: 2.15,
    user_tags: 'Gracia',
  });
  privateKit = await create({ name: 'Gracia bedroom', is_private: true });
});

afterAll(async () => {
  await api?.stop();
  await layer?.close();
  await db?.drop();
});

describe('GET and PATCH /v0/me', () => {
  it('refuses guests', async () => {
    expect((await json('/v0/me', undefined, 401)).id).toBe('unauthorized');
  });

  it('changes the profile and answers the user JSON with the email and every own device', async () => {
    const response = await api.request('/v0/me', {
      method: 'PATCH',
      token: ana.token,
      body: {
        email: 'ana@example.org',
        url: 'https://ana.example',
        profile_picture: 'https://ana.example/me.png',
        city: 'Barcelona',
        country_code: 'es',
      },
    });
    expect(response.status).toBe(200);
    const me = await response.json();
    expect(Object.keys(me)).toEqual([...USER_KEYS, 'email']);
    userResponse.parse(me);
    connectorUser.parse(me);
    expect(me).toMatchObject({
      id: ana.id,
      username: 'ana',
      role: 'citizen',
      email: 'ana@example.org',
      location: { city: 'Barcelona', country: 'Spain', country_code: 'ES' },
    });
    expect(me.devices.map((d: Json) => d.id)).toEqual([publicKit, privateKit]);
    expect(me.devices[0].device_token).not.toBe('[FILTERED]');
    const { rows } = await db.sql.query('SELECT email, city, country_code FROM users WHERE id = $1', [
      ana.id,
    ]);
    expect(rows[0]).toEqual({ email: 'ana@example.org', city: 'Barcelona', country_code: 'ES' });
    expect(await json('/v0/me', ana.token)).toEqual(me);
  });

  it('refuses a taken username or email (422) and malformed fields', async () => {
    await api.request('/v0/me', { method: 'PATCH', token: bob.token, body: { email: 'bob@example.org' } });
    const taken = await api.request('/v0/me', {
      method: 'PATCH',
      token: bob.token,
      body: { username: 'ana' },
    });
    expect(taken.status).toBe(422);
    expect((await taken.json()).errors).toEqual({ username: ['has already been taken'] });
    const email = await api.request('/v0/me', {
      method: 'PATCH',
      token: bob.token,
      body: { email: 'ana@example.org' },
    });
    expect((await email.json()).errors).toEqual({ email: ['has already been taken'] });
    const bad = await api.request('/v0/me', {
      method: 'PATCH',
      token: bob.token,
      body: { email: 'not-an-email', profile_picture: 'javascript:alert(1)', country_code: 'Spain' },
    });
    expect(bad.status).toBe(422);
    expect(Object.keys((await bad.json()).errors).sort()).toEqual([
      'country_code',
      'email',
      'profile_picture',
    ]);
  });

  it("gives researchers and admins their forwarding credentials, made once, and nobody else's", async () => {
    const first = await json('/v0/me', admin.token);
    expect(Object.keys(first)).toEqual([...USER_KEYS, 'email', 'forwarding_token', 'forwarding_username']);
    expect(first.forwarding_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(first.forwarding_username).toMatch(/^fwd_[0-9a-f]{12}$/);
    connectorUser.extend({ forwarding_token: z.string(), forwarding_username: z.string() }).parse(first);
    const again = await json('/v0/me', admin.token);
    expect([again.forwarding_token, again.forwarding_username]).toEqual([
      first.forwarding_token,
      first.forwarding_username,
    ]);
    expect((await json('/v0/me', ana.token)).forwarding_token).toBeUndefined();
    const seenByAdmin = await json(`/v0/users/${ana.id}`, admin.token);
    expect(seenByAdmin.forwarding_token).toBeUndefined();
    const { rows } = await db.sql.query('SELECT forwarding_token FROM users WHERE id = $1', [admin.id]);
    expect(rows[0].forwarding_token).toBe(first.forwarding_token);
  });

  it('lets researchers and admins set their forwarding_username, which GET /v0/forward then allows', async () => {
    const rita = await layer.newUser('rita', 'researcher');
    const forward = async (topic: string, username: string) =>
      (await json(`/v0/forward?${new URLSearchParams({ topic, username }).toString()}`)).result;
    // No forwarding credentials yet: setting the username makes the token too.
    const set = await api.request('/v0/me', {
      method: 'PATCH',
      token: rita.token,
      body: { forwarding_username: 'rita-broker' },
    });
    expect(set.status).toBe(200);
    const me = await set.json();
    expect(me.forwarding_username).toBe('rita-broker');
    expect(me.forwarding_token).toMatch(/^[A-Za-z0-9_-]{32}$/);
    const topic = `/forward/${me.forwarding_token}/device/${publicKit}/readings`;
    expect(await forward(topic, 'rita-broker')).toBe('allow');
    expect(await forward(topic, 'someone-else')).toBe('deny');
    // A new name replaces the old one, the token stays.
    const renamed = await api.request('/v0/me', {
      method: 'PATCH',
      token: rita.token,
      body: { forwarding_username: 'rita.lab' },
    });
    expect((await renamed.json()).forwarding_token).toBe(me.forwarding_token);
    expect(await forward(topic, 'rita.lab')).toBe('allow');
    expect(await forward(topic, 'rita-broker')).toBe('deny');

    // Another forwarder's name is taken; a bad one is refused; both name the field.
    const taken = await api.request('/v0/me', {
      method: 'PATCH',
      token: admin.token,
      body: { forwarding_username: 'rita.lab' },
    });
    expect(taken.status).toBe(422);
    expect((await taken.json()).errors).toEqual({ forwarding_username: ['has already been taken'] });
    const bad = await api.request('/v0/me', {
      method: 'PATCH',
      token: rita.token,
      body: { forwarding_username: 'a b' },
    });
    expect(bad.status).toBe(422);
    expect(Object.keys((await bad.json()).errors)).toEqual(['forwarding_username']);

    // Citizens do not forward: a clear 403, and nothing of theirs changes.
    const citizen = await api.request('/v0/me', {
      method: 'PATCH',
      token: bob.token,
      body: { forwarding_username: 'bob-broker', city: 'Girona' },
    });
    expect(citizen.status).toBe(403);
    expect((await citizen.json()).message).toMatch(/researchers and admins/);
    const { rows } = await db.sql.query(
      'SELECT forwarding_token, forwarding_username, city FROM users WHERE id = $1',
      [bob.id],
    );
    expect(rows[0].forwarding_token).toBeNull();
    expect(rows[0].forwarding_username).toBeNull();
    expect(rows[0].city).not.toBe('Girona');
  });
});

describe('GET /v0/users/:id|:username', () => {
  it('shows the public profile and the visible devices, without the email, by id or username', async () => {
    const byName = await json('/v0/users/ana');
    const byId = await json(`/v0/users/${ana.id}`);
    expect(byId).toEqual(byName);
    expect(Object.keys(byName)).toEqual(USER_KEYS);
    userResponse.parse(byName);
    connectorUser.parse(byName);
    expect(byName.devices.map((d: Json) => d.id)).toEqual([publicKit]);
    expect(byName.devices[0].device_token).toBe('[FILTERED]');
    expect((await json('/v0/users/ana', bob.token)).email).toBeUndefined();
  });

  it('shows the email and private devices to admins', async () => {
    const seen = await json('/v0/users/ana', admin.token);
    expect(seen.email).toBe('ana@example.org');
    expect(seen.devices.map((d: Json) => d.id)).toEqual([publicKit, privateKit]);
  });

  it('answers 404 for nobody', async () => {
    expect((await json('/v0/users/nobody', undefined, 404)).id).toBe('record_not_found');
    expect((await json('/v0/users/999999', undefined, 404)).id).toBe('record_not_found');
  });
});

describe('GET /v0/search?q=', () => {
  it('finds devices by name and city, users and tags, with the fields the web app reads', async () => {
    const results: Json[] = await json('/v0/search?q=gracia');
    expect(results.map((r) => [r.type, r.id, r.name ?? r.username])).toEqual([
      ['Device', publicKit, 'Gracia balcony'],
      ['Tag', null, 'Gracia'],
    ]);
    for (const r of results) {
      searchResult.parse(r);
      searchResultResponse.parse(r);
    }
    expect(results[0]).toMatchObject({
      city: 'Barcelona',
      country: 'Spain',
      latitude: 41.4,
      longitude: 2.15,
    });
    const byCity: Json[] = await json('/v0/search?q=barcel');
    expect(byCity.map((r) => [r.type, r.id])).toEqual([
      ['Device', publicKit],
      ['User', ana.id],
    ]);
    expect(byCity[1]).toMatchObject({ username: 'ana', profile_picture: 'https://ana.example/me.png' });
  });

  it("includes the caller's private devices, pages the results, and needs q", async () => {
    const mine: Json[] = await json('/v0/search?q=gracia', ana.token);
    expect(mine.filter((r) => r.type === 'Device').map((r) => r.id)).toEqual([publicKit, privateKit]);
    const response = await api.request('/v0/search?q=gracia&per_page=1&page=2', { token: ana.token });
    expect(response.headers.get('total')).toBe('3');
    expect(((await response.json()) as Json[]).map((r) => r.id)).toEqual([privateKit]);
    expect((await json('/v0/search', undefined, 400)).id).toBe('parameter_missing');
    expect(await json('/v0/search?q=%25')).toEqual([]);
  });
});
