import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../tools/harness/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';

let db: TestDatabase;
let api: TestApi;
const LIMIT = 5;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db, { RATE_LIMIT_PER_MINUTE: String(LIMIT) });
});

afterAll(async () => {
  await api?.stop();
  await db?.drop();
});

describe('OpenAPI', () => {
  it('serves a browsable UI at /docs', async () => {
    const response = await fetch(`${api.url}/docs`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    expect(await response.text()).toMatch(/swagger-ui/i);
  });

  it('lists every v0 path with its zod-generated parameters and bodies at /docs-json', async () => {
    const doc = await (await api.request('/docs-json')).json();
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/v0/components',
      '/v0/components/{id}',
      '/v0/devices',
      '/v0/devices/fresh_world_map',
      '/v0/devices/readings/stream',
      '/v0/devices/world_map',
      '/v0/devices/{id}',
      '/v0/devices/{id}/ingest_errors',
      '/v0/devices/{id}/readings',
      '/v0/devices/{id}/readings.csv',
      '/v0/devices/{id}/readings/csv',
      '/v0/devices/{id}/readings/csv_archive',
      '/v0/devices/{id}/readings/stream',
      '/v0/forward',
      '/v0/me',
      '/v0/measurements',
      '/v0/measurements/{id}',
      '/v0/onboarding/device',
      '/v0/onboarding/device/events',
      '/v0/onboarding/register',
      '/v0/onboarding/user',
      '/v0/password_resets',
      '/v0/password_resets/{token}',
      '/v0/search',
      '/v0/sensors',
      '/v0/sensors/{id}',
      '/v0/sessions',
      '/v0/tags',
      '/v0/users',
      '/v0/users/{idOrUsername}',
    ]);
    expect(Object.keys(doc.paths['/v0/onboarding/device']).sort()).toEqual(['get', 'patch', 'post']);
    expect(Object.keys(doc.paths['/v0/devices/{id}/readings']).sort()).toEqual(['get', 'post']);
    expect(Object.keys(doc.paths['/v0/me']).sort()).toEqual(['get', 'patch']);
    expect(Object.keys(doc.paths['/v0/password_resets/{token}']).sort()).toEqual(['get', 'patch', 'put']);
    expect(Object.keys(doc.paths['/v0/devices/{id}']).sort()).toEqual(['delete', 'get', 'patch', 'put']);
    const readings = doc.paths['/v0/devices/{id}/readings'].get.parameters;
    const names = readings.map((p: { name: string }) => p.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'id',
        'sensor_id',
        'sensor_key',
        'rollup',
        'function',
        'from',
        'to',
        'limit',
        'relative',
        'all_intervals',
      ]),
    );
    const rollup = readings.find((p: { name: string }) => p.name === 'rollup');
    expect(rollup.required).toBe(true);
    const fn = readings.find((p: { name: string }) => p.name === 'function');
    expect(fn.schema.enum).toEqual(['avg', 'min', 'max', 'sum', 'count', 'first', 'last']);
    const listNames = doc.paths['/v0/devices'].get.parameters.map((p: { name: string }) => p.name);
    expect(listNames).toEqual(
      expect.arrayContaining(['q[name_cont]', 'q[id_in][]', 'near', 'within', 'per_page']),
    );
    const body = doc.paths['/v0/devices'].post.requestBody.content['application/json'].schema;
    const schema = body.$ref ? doc.components.schemas[body.$ref.split('/').pop()] : body;
    expect(schema.required).toEqual(['name']);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining(['device_token', 'latitude', 'exposure']),
    );
  });
});

describe('rate limiting', () => {
  it(`answers 429 enhance_your_calm after ${LIMIT} requests a minute from one client, but never on /health`, async () => {
    for (let i = 0; i < LIMIT; i++) expect((await api.request('/v0/sensors')).status).toBe(200);
    const limited = await api.request('/v0/sensors');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    const body = await limited.json();
    expect(body).toEqual({
      id: 'enhance_your_calm',
      message: expect.stringMatching(new RegExp(`at most ${LIMIT} per minute`)),
      url: null,
      errors: null,
    });
    expect((await api.request('/v0/devices/1')).status).toBe(429);
    for (let i = 0; i < LIMIT + 2; i++) expect((await fetch(`${api.url}/health`)).status).toBe(200);
  });
});
