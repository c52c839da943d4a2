import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type Json, type TestApi } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';

let db: TestDatabase;
let api: TestApi;
let layer: ReturnType<typeof testDataLayer>;
type User = Awaited<ReturnType<typeof layer.newUser>>;
let ana: User;
let bob: User;
const ids: Record<string, number> = {};

async function idsOf(query: string, token?: string): Promise<number[]> {
  const response = await api.request(`/v0/devices?per_page=1000&${query}`, { token });
  expect(response.status).toBe(200);
  return ((await response.json()) as Json[]).map((d) => d.id as number);
}

async function refused(query: string): Promise<Json> {
  const response = await api.request(`/v0/devices?${query}`);
  expect(response.status).toBe(400);
  const body = await response.json();
  expect(body.id).toBe('bad_request');
  return body;
}

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  layer = testDataLayer(db);
  ana = await layer.newUser('ana');
  bob = await layer.newUser('bob');
  const create = async (token: string, body: Record<string, unknown>) => {
    const response = await api.request('/v0/devices', { method: 'POST', token, body });
    expect(response.status).toBe(201);
    return (await response.json()).id as number;
  };
  ids.roof = await create(ana.token, { name: 'Roof', user_tags: 'Barcelona,Air' });
  ids.garden = await create(ana.token, { name: 'Garden', user_tags: 'Barcelona' });
  ids.office = await create(bob.token, { name: 'Office', user_tags: 'Madrid,Air' });
  ids.roof2 = await create(bob.token, { name: 'Roof 2' });
  await db.sql.query(`UPDATE devices SET created_at = '2020-01-01T00:00:00Z' WHERE id = $1`, [ids.garden]);
  await db.sql.query('INSERT INTO postprocessings (device_id, blueprint_url) VALUES ($1, $2)', [
    ids.office,
    'https://example.org/blueprint.json',
  ]);
});

afterAll(async () => {
  await api?.stop();
  await layer?.close();
  await db?.drop();
});

describe('GET /v0/devices q[…] filters the Python connector sends', () => {
  it('name_eq matches the whole name only, name_cont a part', async () => {
    expect(await idsOf('q[name_eq]=Roof')).toEqual([ids.roof]);
    expect(await idsOf('q[name_cont]=roof')).toEqual([ids.roof, ids.roof2]);
  });

  it('owner_id_eq and owner_username_eq', async () => {
    expect(await idsOf(`q[owner_id_eq]=${bob.id}`)).toEqual([ids.office, ids.roof2]);
    expect(await idsOf('q[owner_username_eq]=ana')).toEqual([ids.roof, ids.garden]);
  });

  it('tags_name_eq, tags_name_in as a comma list or repeated keys', async () => {
    expect(await idsOf('q[tags_name_eq]=Air')).toEqual([ids.roof, ids.office]);
    expect(await idsOf('q[tags_name_in]=Madrid,Barcelona')).toEqual([ids.roof, ids.garden, ids.office]);
    expect(await idsOf('q[tags_name_in][]=Madrid&q[tags_name_in][]=Air')).toEqual([ids.roof, ids.office]);
  });

  it('created_at_gt and _lt', async () => {
    expect(await idsOf('q[created_at_lt]=2021-01-01')).toEqual([ids.garden]);
    expect(await idsOf('q[created_at_gt]=2021-01-01T00:00:00Z')).toEqual([ids.roof, ids.office, ids.roof2]);
  });

  it('postprocessing_id_not_null', async () => {
    expect(await idsOf('q[postprocessing_id_not_null]=1')).toEqual([ids.office]);
    expect(await idsOf('q[postprocessing_id_not_null]=0')).toEqual([ids.roof, ids.garden, ids.roof2]);
  });

  it('combines filters with AND', async () => {
    expect(await idsOf(`q[tags_name_eq]=Air&q[owner_id_eq]=${ana.id}`)).toEqual([ids.roof]);
  });

  it('answers 400 naming a filter it does not support, instead of ignoring it', async () => {
    const body = await refused('q[device_token_eq]=abc123');
    expect(body.message).toMatch(/Unsupported filter q\[device_token_eq\]/);
    expect(body.message).toContain('q[name_eq]');
    expect(body.errors.unsupported).toEqual(['q[device_token_eq]']);
    const two = await refused('q[name_start]=R&q[name_eq]=Roof&q[foo]=1');
    expect(two.errors.unsupported).toEqual(['q[name_start]', 'q[foo]']);
    expect((await api.request('/v0/sensors?q[unit_eq]=C')).status).toBe(400);
  });

  it('answers 400 for malformed filter values', async () => {
    expect((await refused('q[owner_id_eq]=ana')).message).toMatch(/q\[owner_id_eq\]/);
    expect((await refused('q[created_at_gt]=yesterday')).message).toMatch(/q\[created_at_gt\]/);
    expect((await refused('q[postprocessing_id_not_null]=maybe')).message).toMatch(/postprocessing/);
  });
});
