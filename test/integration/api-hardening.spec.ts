import { request as httpRequest } from 'node:http';
import { beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestResponse } from '../../tools/harness/api.js';
import { REDIS_URL } from '../../tools/harness/env.js';
import { runScript } from '../../tools/harness/typescript.js';
import { useContext } from '../helpers/context.js';
import type { TestUser } from '../helpers/repositories.js';

const ctx = useContext({ api: true });
let citizen: TestUser;
let admin: TestUser;

beforeAll(async () => {
  citizen = await ctx.newUser('citizen');
  admin = await ctx.newUser('admin', 'admin');
});

const createDevice = (token: string, body: object) =>
  ctx.api.request('/v0/devices', { method: 'POST', token, body: { name: 'Kit', ...body } });

async function park(token: string) {
  await ctx.db.sql.query(
    `INSERT INTO parked_messages (token, kind, topic, payload, received_at)
     VALUES ($1, 'raw', $2, '\\x7b7d', now())`,
    [token, `device/sck/${token}/readings/raw`],
  );
}

describe('device tokens', () => {
  it('generates 20 lowercase letters and digits in the API and in device:create, 6 with --kit', async () => {
    const created = await createDevice(citizen.token, {});
    expect(created.status).toBe(201);
    expect((await created.json()).device_token).toMatch(/^[a-z0-9]{20}$/);
    const deviceCreate = async (...args: string[]) => {
      const stdout = await runScript('device-create', args, {
        DATABASE_URL: ctx.db.url,
        REDIS_URL,
        QUEUE_PREFIX: ctx.api.queuePrefix,
      });
      return JSON.parse(stdout) as { id: number; token: string };
    };
    const long = await deviceCreate('--name', 'Script kit');
    expect(long.token).toMatch(/^[a-z0-9]{20}$/);
    const kit = await deviceCreate('--name', 'SCK', '--kit');
    expect(kit.token).toMatch(/^[a-z0-9]{6}$/);
    const { rows } = await ctx.db.sql.query('SELECT token FROM devices WHERE id = ANY($1) ORDER BY id', [
      [long.id, kit.id],
    ]);
    expect(rows).toEqual([{ token: long.token }, { token: kit.token }]);
  });

  it('refuses a citizen a token with parked traffic, with the same 422 as a taken token; an admin may claim it', async () => {
    await park('newkit1');
    const refused = await createDevice(citizen.token, { device_token: 'newkit1' });
    expect(refused.status).toBe(422);
    const refusedBody = await refused.json();
    const { rows } = await ctx.db.sql.query("SELECT count(*)::int AS n FROM devices WHERE token = 'newkit1'");
    expect(rows[0].n).toBe(0);

    // Taken by a private device, by an archived one: the same body, token name aside.
    expect((await createDevice(admin.token, { device_token: 'privkit', is_private: true })).status).toBe(201);
    const archived = await (await createDevice(admin.token, { device_token: 'oldkit' })).json();
    expect(
      (await ctx.api.request(`/v0/devices/${archived.id}`, { method: 'DELETE', token: admin.token })).status,
    ).toBe(200);
    const bodies = [refusedBody];
    for (const token of ['privkit', 'oldkit']) {
      const response = await createDevice(citizen.token, { device_token: token });
      expect(response.status).toBe(422);
      bodies.push(await response.json());
    }
    const normalised = bodies.map((b, i) =>
      JSON.stringify(b).replaceAll(['newkit1', 'privkit', 'oldkit'][i], 'TOKEN'),
    );
    expect(new Set(normalised).size).toBe(1);
    expect(bodies[0]).toEqual({
      id: 'unprocessable_entity',
      message: 'device_token "newkit1" is already taken',
      url: null,
      errors: { device_token: ['has already been taken'] },
    });

    // Changing a device's token to one with parked traffic is refused the same way.
    const own = await (await createDevice(citizen.token, {})).json();
    const retoken = await ctx.api.request(`/v0/devices/${own.id}`, {
      method: 'PATCH',
      token: citizen.token,
      body: { device_token: 'newkit1' },
    });
    expect(retoken.status).toBe(422);

    const claimed = await createDevice(admin.token, { device_token: 'newkit1' });
    expect(claimed.status).toBe(201);
    expect((await claimed.json()).device_token).toBe('newkit1');
  });
});

describe('pagination links', () => {
  function get(path: string, headers: Record<string, string>): Promise<{ status: number; link: string }> {
    const { port } = new URL(ctx.api.url);
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path, headers }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, link: String(res.headers.link ?? '') }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('never carry access_token nor a forged Host: relative by default', async () => {
    const { status, link } = await get(`/v0/sensors?per_page=2&access_token=${citizen.token}`, {
      host: 'evil.example',
    });
    expect(status).toBe(200);
    expect(link).toContain('</v0/sensors?per_page=2&page=2>; rel="next"');
    expect(link).not.toContain('access_token');
    expect(link).not.toContain(citizen.token);
    expect(link).not.toContain('evil.example');
  });

  it('start with PUBLIC_URL when it is configured', async () => {
    const configured = await startTestApi(ctx.db, { PUBLIC_URL: 'https://api.example.org/' });
    try {
      const { port } = new URL(configured.url);
      const link = await new Promise<string>((resolve, reject) => {
        httpRequest(
          { host: '127.0.0.1', port, path: '/v0/sensors?per_page=2', headers: { host: 'evil.example' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve(String(res.headers.link ?? '')));
          },
        )
          .on('error', reject)
          .end();
      });
      expect(link).toContain('<https://api.example.org/v0/sensors?per_page=2&page=2>; rel="next"');
      expect(link).not.toContain('evil.example');
    } finally {
      await configured.stop();
    }
  });
});

describe('input that PostgreSQL cannot store is a 400, never a 500', () => {
  const rawPost = (path: string, body: string): Promise<TestResponse> =>
    fetch(`${ctx.api.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${citizen.token}`, 'content-type': 'application/json' },
      body,
    });

  it('meta nested 5,000 deep', async () => {
    const deep = `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`;
    const response = await rawPost('/v0/devices', `{"name":"Deep","meta":${deep}}`);
    expect(response.status).toBe(400);
    expect((await response.json()).message).toMatch(/^body field meta(\.a)+ is nested deeper than 32 levels/);
  });

  it('a NUL deeper than 8 levels, in a value and in a key', async () => {
    const nested = (inner: string) => `${'{"a":'.repeat(12)}${inner}${'}'.repeat(12)}`;
    for (const inner of ['"x\\u0000y"', '{"k\\u0000":1}']) {
      const response = await rawPost('/v0/devices', `{"name":"Nul","meta":${nested(inner)}}`);
      expect(response.status).toBe(400);
      expect((await response.json()).message).toMatch(/^body field meta(\.a){12}.* NUL character/);
    }
  });

  it('a lone surrogate in meta or in the name', async () => {
    for (const body of ['{"name":"Sur","meta":{"a":"\\ud800"}}', '{"name":"x\\udc00y"}']) {
      const response = await rawPost('/v0/devices', body);
      expect(response.status).toBe(400);
      expect((await response.json()).message).toMatch(/lone UTF-16 surrogate/);
    }
    const { rows } = await ctx.db.sql.query(
      "SELECT count(*)::int AS n FROM devices WHERE name IN ('Sur', 'Deep', 'Nul')",
    );
    expect(rows[0].n).toBe(0);
  });

  it('meta larger than 16 KB', async () => {
    const response = await createDevice(citizen.token, { meta: { blob: 'x'.repeat(20_000) } });
    expect(response.status).toBe(422);
    expect((await response.json()).errors.meta[0]).toMatch(/at most 16384 bytes/);
  });

  it('a sensor parent_id above 2^31', async () => {
    const response = await ctx.api.request('/v0/sensors', {
      method: 'POST',
      token: admin.token,
      body: { name: 'Child', parent_id: 2 ** 31 },
    });
    // Body fields are validated per field: a 422 naming it, like every other body field.
    expect(response.status).toBe(422);
    expect((await response.json()).errors.parent_id[0]).toMatch(/up to 2147483647/);
  });
});
