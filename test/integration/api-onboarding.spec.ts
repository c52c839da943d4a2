import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { newDevice } from '../helpers/database.js';

let db: TestDatabase;
let api: TestApi;
let layer: ReturnType<typeof testDataLayer>;

const UNKNOWN_SESSION = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  layer = testDataLayer(db);
});

afterAll(async () => {
  await api?.stop();
  await layer?.close();
  await db?.drop();
});

async function signUp(email: string, username: string, password = 'correct horse') {
  return api.request('/v0/users', { method: 'POST', body: { email, username, password } });
}

async function login(body: Record<string, unknown>) {
  return api.request('/v0/sessions', { method: 'POST', body });
}

async function newOrphan(body: Record<string, unknown> = {}) {
  const res = await api.request('/v0/onboarding/device', { method: 'POST', body });
  expect(res.status).toBe(201);
  return (await res.json()) as { onboarding_session: string; device_token: string };
}

const withSession = (session: string) => ({ OnboardingSession: session });

describe('accounts', () => {
  it('signs up, stores only a bcrypt hash of the password and never returns it', async () => {
    const res = await signUp('Ana@Example.org', 'ana', 'correct horse');
    expect(res.status).toBe(201);
    const body = await res.json();
    expect(body).toMatchObject({ username: 'ana', email: 'Ana@Example.org', role: 'citizen' });
    expect(JSON.stringify(body)).not.toContain('correct horse');
    expect(Object.keys(body)).not.toContain('password_hash');
    const { rows } = await db.sql.query('SELECT password_hash FROM users WHERE username = $1', ['ana']);
    expect(rows[0].password_hash).toMatch(/^\$2[aby]\$10\$/);
    expect(rows[0].password_hash).not.toContain('correct horse');
    // The public profile now exists; a free name is a 404.
    expect((await api.request('/v0/users/ana')).status).toBe(200);
    expect((await api.request('/v0/users/nobody-here')).status).toBe(404);
  });

  it('refuses a taken username or email with a 422 naming the field', async () => {
    const name = await signUp('other@example.org', 'ana');
    expect(name.status).toBe(422);
    expect((await name.json()).errors).toEqual({ username: ['has already been taken'] });
    const email = await signUp('ANA@example.org', 'ana2');
    expect(email.status).toBe(422);
    expect((await email.json()).errors).toEqual({ email: ['has already been taken'] });
    const { rows } = await db.sql.query("SELECT count(*)::int AS n FROM users WHERE username LIKE 'ana%'");
    expect(rows[0].n).toBe(1);
  });

  it('refuses bad sign-up bodies', async () => {
    for (const body of [
      {},
      { email: 'not-an-email', username: 'bob', password: 'long enough' },
      { email: 'bob@example.org', username: 'b', password: 'long enough' },
      { email: 'bob@example.org', username: 'bob', password: 'short' },
    ]) {
      const res = await api.request('/v0/users', { method: 'POST', body });
      expect(res.status, JSON.stringify(body)).toBe(422);
    }
    const { rows } = await db.sql.query("SELECT count(*)::int AS n FROM users WHERE username = 'bob'");
    expect(rows[0].n).toBe(0);
  });

  it('logs in by email or username with a bearer token that works and expires', async () => {
    for (const by of [{ email: 'ana@example.org' }, { username: 'ana' }]) {
      const res = await login({ ...by, password: 'correct horse' });
      expect(res.status).toBe(200);
      const { access_token: token, expires_at: expiresAt } = await res.json();
      expect(typeof token).toBe('string');
      expect(Date.parse(expiresAt)).toBeGreaterThan(Date.now() + 24 * 3600 * 1000);
      const me = await api.request('/v0/me', { token });
      expect(me.status).toBe(200);
      expect((await me.json()).username).toBe('ana');
    }
    // An expired session token is refused.
    const { access_token: token } = await (
      await login({ username: 'ana', password: 'correct horse' })
    ).json();
    await db.sql.query(
      "UPDATE api_tokens SET expires_at = now() - interval '1 second' WHERE expires_at = (SELECT max(expires_at) FROM api_tokens)",
    );
    expect((await api.request('/v0/me', { token })).status).toBe(401);
  });

  it('answers a wrong password, an unknown user or a missing field with a clear error', async () => {
    for (const body of [
      { username: 'ana', password: 'wrong horse' },
      { email: 'nobody@example.org', password: 'correct horse' },
    ]) {
      const res = await login(body);
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({
        id: 'unauthorized',
        message: 'Invalid email, username or password',
      });
    }
    expect((await login({ password: 'correct horse' })).status).toBe(422);
    expect((await login({ username: 'ana' })).status).toBe(422);
  });

  it('keeps users made by user:create (no password) out of password login', async () => {
    const made = await layer.newUser('scripted');
    expect((await api.request('/v0/me', { token: made.token })).status).toBe(200);
    expect((await login({ username: 'scripted', password: 'anything at all' })).status).toBe(401);
  });
});

describe('onboarding', () => {
  it('makes a kit in setup with a fresh 6-character token and shows it by session', async () => {
    const { onboarding_session: session, device_token: token } = await newOrphan({ name: 'Balcony' });
    expect(token).toMatch(/^[a-z0-9]{6}$/);
    expect(session).toMatch(/^[0-9a-f-]{36}$/);
    const res = await api.request('/v0/onboarding/device', { headers: withSession(session) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      name: 'Balcony',
      device_token: token,
      onboarding_session: session,
      device_handshake: false,
      user_tags: '',
    });
  });

  it('never hands out a token a device or another kit in setup holds', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 20; i++) seen.add((await newOrphan()).device_token);
    expect(seen.size).toBe(20);
    const { rows } = await db.sql.query(
      'SELECT count(*)::int AS n FROM orphan_devices o JOIN devices d ON d.token = o.device_token',
    );
    expect(rows[0].n).toBe(0);
  });

  it('changes the kit in setup with PATCH, tags as a comma string or an array', async () => {
    const { onboarding_session: session } = await newOrphan();
    const patch = (body: unknown) =>
      api.request('/v0/onboarding/device', { method: 'PATCH', headers: withSession(session), body });
    const res = await patch({
      name: 'Roof',
      exposure: 'outdoor',
      latitude: 41.39,
      longitude: 2.16,
      user_tags: 'Outdoor, Research',
      device_token: 'roof01',
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      name: 'Roof',
      exposure: 'outdoor',
      latitude: 41.39,
      user_tags: 'Outdoor,Research',
      device_token: 'roof01',
    });
    expect((await (await patch({ user_tags_array: ['Indoor'] })).json()).user_tags).toBe('Indoor');
    const { rows } = await db.sql.query(
      'SELECT user_tags FROM orphan_devices WHERE onboarding_session = $1',
      [session],
    );
    expect(rows[0].user_tags).toEqual(['Indoor']);
  });

  it('refuses bad PATCH bodies and a token a device holds', async () => {
    const { onboarding_session: session, device_token: token } = await newOrphan();
    await newDevice(db, 'taken1');
    const patch = (body: unknown) =>
      api.request('/v0/onboarding/device', { method: 'PATCH', headers: withSession(session), body });
    const taken = await patch({ device_token: 'taken1' });
    expect(taken.status).toBe(422);
    expect((await taken.json()).errors).toEqual({ device_token: ['has already been taken'] });
    expect((await patch({ device_token: 'roof01' })).status).toBe(422);
    for (const body of [{ device_token: 'BAD' }, { exposure: 'space' }, { latitude: 91 }]) {
      expect((await patch(body)).status, JSON.stringify(body)).toBe(422);
    }
    const { rows } = await db.sql.query(
      'SELECT device_token FROM orphan_devices WHERE onboarding_session = $1',
      [session],
    );
    expect(rows[0].device_token).toBe(token);
  });

  it('answers an unknown, malformed or missing session with 404 Invalid OnboardingSession', async () => {
    const bearer = await layer.newUser('sessionless');
    const calls = [
      { path: '/v0/onboarding/device', headers: withSession(UNKNOWN_SESSION) },
      { path: '/v0/onboarding/device', headers: withSession('not-a-uuid') },
      { path: '/v0/onboarding/device', headers: {} },
      { path: '/v0/onboarding/device', method: 'PATCH', headers: withSession(UNKNOWN_SESSION), body: {} },
      {
        path: '/v0/onboarding/register',
        method: 'POST',
        headers: withSession(UNKNOWN_SESSION),
        token: bearer.token,
      },
      { path: `/v0/onboarding/device/events?onboarding_session=${UNKNOWN_SESSION}` },
    ];
    for (const { path, ...options } of calls) {
      const res = await api.request(path, options);
      expect(res.status, `${options.method ?? 'GET'} ${path}`).toBe(404);
      expect((await res.json()).error).toBe('Invalid OnboardingSession');
    }
  });

  it('finds the username of an email, or 404 not_found for a new user', async () => {
    await signUp('finder@example.org', 'finder');
    const found = await api.request('/v0/onboarding/user', {
      method: 'POST',
      body: { email: 'FINDER@example.org' },
    });
    expect(found.status).toBe(200);
    expect(await found.json()).toEqual({ username: 'finder' });
    const missing = await api.request('/v0/onboarding/user', {
      method: 'POST',
      body: { email: 'new@example.org' },
    });
    expect(missing.status).toBe(404);
    expect((await missing.json()).message).toBe('not_found');
    expect((await api.request('/v0/onboarding/user', { method: 'POST', body: {} })).status).toBe(422);
  });

  it('registers the kit in setup as the caller’s device and deletes the orphan, once', async () => {
    const { onboarding_session: session, device_token: token } = await newOrphan({
      name: 'Window',
      exposure: 'indoor',
      user_tags: 'Indoor',
    });
    const register = (token?: string) =>
      api.request('/v0/onboarding/register', { method: 'POST', token, headers: withSession(session) });
    expect((await register()).status).toBe(401);
    await signUp('owner@example.org', 'owner');
    const { access_token: bearer } = await (
      await login({ username: 'owner', password: 'correct horse' })
    ).json();
    const res = await register(bearer);
    expect(res.status).toBe(200);
    const device = await res.json();
    expect(device).toMatchObject({ name: 'Window', device_token: token, user_tags: ['Indoor'] });
    const { rows } = await db.sql.query(
      'SELECT d.name, d.exposure, u.username FROM devices d JOIN users u ON u.id = d.owner_id WHERE d.id = $1',
      [device.id],
    );
    expect(rows).toEqual([{ name: 'Window', exposure: 'indoor', username: 'owner' }]);
    const orphans = await db.sql.query('SELECT 1 FROM orphan_devices WHERE device_token = $1', [token]);
    expect(orphans.rowCount).toBe(0);
    // The session is used up.
    const again = await register(bearer);
    expect(again.status).toBe(404);
    expect((await again.json()).error).toBe('Invalid OnboardingSession');
  });

  it('lists the seeded tags, paginated', async () => {
    const all = await api.request('/v0/tags?per_page=1000');
    expect(all.status).toBe(200);
    const tags = await all.json();
    expect(tags.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['Indoor', 'Outdoor', 'Research']),
    );
    expect(Object.keys(tags[0]).sort()).toEqual(['id', 'name']);
    const page = await api.request('/v0/tags?per_page=2&page=2');
    expect(await page.json()).toEqual(tags.slice(2, 4));
    expect(page.headers.get('total')).toBe(String(tags.length));
    expect((await api.request('/v0/tags?per_page=0')).status).toBe(400);
  });
});
