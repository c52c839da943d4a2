import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi, type TestResponse } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';

let db: TestDatabase;
let api: TestApi;
let layer: ReturnType<typeof testDataLayer>;
const ids: Record<string, number> = {};

/** Five public devices with distinct names, owners, tags, places and reading histories. */
const DEVICES = [
  {
    key: 'bcn',
    owner: 'ana',
    name: 'Barcelona Kitchen',
    lat: 41.3968,
    lng: 2.1942,
    tags: 'Barcelona,Inside',
  },
  { key: 'mad', owner: 'bob', name: 'Madrid roof', lat: 40.4168, lng: -3.7038, tags: 'Roof' },
  { key: 'par', owner: 'ana', name: 'Paris balcony', lat: 48.8566, lng: 2.3522, tags: 'Inside' },
  { key: 'nyc', owner: 'bob', name: 'New York kitchen', lat: 40.7128, lng: -74.006, tags: '' },
  { key: 'nowhere', owner: 'ana', name: 'Unplaced', lat: null, lng: null, tags: '' },
] as const;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  layer = testDataLayer(db);
  const users = { ana: await layer.newUser('ana'), bob: await layer.newUser('bob') };
  for (const d of DEVICES) {
    const response = await api.request('/v0/devices', {
      method: 'POST',
      token: users[d.owner].token,
      body: { name: d.name, latitude: d.lat, longitude: d.lng, user_tags: d.tags },
    });
    ids[d.key] = ((await response.json()) as { id: number }).id;
  }
  // bcn and mad have published (mad more recently); nowhere has no token at all.
  await layer.storeReadings([
    { deviceId: ids.bcn, sensorId: 55, recordedAt: Date.parse('2024-01-10T00:00:00Z'), value: 1 },
    { deviceId: ids.mad, sensorId: 55, recordedAt: Date.parse('2024-03-10T00:00:00Z'), value: 1 },
  ]);
  await db.sql.query('UPDATE devices SET token = NULL WHERE id = $1', [ids.nowhere]);
});

afterAll(async () => {
  await api?.stop();
  await layer?.close();
  await db?.drop();
});

async function list(query: string): Promise<{ response: TestResponse; keys: string[] }> {
  const response = await api.request(`/v0/devices?${query}`);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { id: number }[];
  const byId = Object.fromEntries(Object.entries(ids).map(([k, v]) => [v, k]));
  return { response, keys: body.map((d) => byId[d.id]) };
}

describe('GET /v0/devices filters', () => {
  it('lists every visible device by id without filters', async () => {
    expect((await list('')).keys).toEqual(['bcn', 'mad', 'par', 'nyc', 'nowhere']);
  });

  it('q[name_cont] matches part of the name, case-insensitively, and takes LIKE characters literally', async () => {
    expect((await list('q[name_cont]=KITCHEN')).keys).toEqual(['bcn', 'nyc']);
    expect((await list('q[name_cont]=%25')).keys).toEqual([]);
  });

  it('refuses a NUL character in a parameter with a 400 naming it (PostgreSQL text cannot hold NUL)', async () => {
    const response = await api.request('/v0/devices?q[name_cont]=a%00b');
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({
      id: 'bad_request',
      message: expect.stringContaining('q[name_cont]'),
    });
  });

  it('q[id_in][] takes repeated keys or a comma list', async () => {
    expect((await list(`q[id_in][]=${ids.par}&q[id_in][]=${ids.bcn}`)).keys).toEqual(['bcn', 'par']);
    expect((await list(`q[id_in][]=${ids.nyc},${ids.mad}`)).keys).toEqual(['mad', 'nyc']);
  });

  it('q[state_eq] tells published, never published and unconfigured devices apart', async () => {
    expect((await list('q[state_eq]=has_published')).keys).toEqual(['bcn', 'mad']);
    expect((await list('q[state_eq]=never_published')).keys).toEqual(['par', 'nyc']);
    expect((await list('q[state_eq]=not_configured')).keys).toEqual(['nowhere']);
  });

  it('q[last_reading_at_gt] and _lt compare with the last reading, in any accepted time form', async () => {
    expect((await list('q[last_reading_at_gt]=2024-02-01')).keys).toEqual(['mad']);
    expect((await list('q[last_reading_at_lt]=2024-02-01T00:00:00Z')).keys).toEqual(['bcn']);
    expect((await list(`q[last_reading_at_gt]=${Date.parse('2024-01-01') / 1000}`)).keys).toEqual([
      'bcn',
      'mad',
    ]);
  });

  it("q[owner_username_eq] keeps one owner's devices", async () => {
    expect((await list('q[owner_username_eq]=bob')).keys).toEqual(['mad', 'nyc']);
    expect((await list('q[owner_username_eq]=nobody')).keys).toEqual([]);
  });

  it('with_tags keeps devices carrying any of the tags', async () => {
    expect((await list('with_tags=Inside')).keys).toEqual(['bcn', 'par']);
    expect((await list('with_tags=Roof|Barcelona')).keys).toEqual(['bcn', 'mad']);
  });

  it('near orders by distance within 1000 km by default, within narrows it', async () => {
    // Barcelona → Madrid ≈ 505 km, → Paris ≈ 830 km, → New York ≈ 6150 km.
    expect((await list('near=41.39,2.19')).keys).toEqual(['bcn', 'mad', 'par']);
    expect((await list('near=48.85,2.35&within=900')).keys).toEqual(['par', 'bcn']);
    expect((await list('near=41.39,2.19&within=600')).keys).toEqual(['bcn', 'mad']);
    expect((await list('near=40.7,-74.0&within=10')).keys).toEqual(['nyc']);
  });

  it('combines filters', async () => {
    expect((await list('q[name_cont]=kitchen&q[owner_username_eq]=ana')).keys).toEqual(['bcn']);
  });

  it('answers 400 naming the parameter and its accepted forms for malformed values', async () => {
    const cases: [string, RegExp][] = [
      ['near=41.39', /near is invalid.*"<latitude>,<longitude>"/],
      ['near=91,2', /near is invalid/],
      ['within=5', /within needs near/],
      ['near=1,2&within=-3', /within is invalid.*positive number/],
      ['q[state_eq]=online', /q\[state_eq\] is invalid.*has_published, never_published, not_configured/],
      ['q[id_in][]=abc', /q\[id_in\]\[\] is invalid.*positive integers/],
      ['q[last_reading_at_gt]=yesterday', /q\[last_reading_at_gt\] is invalid.*epoch seconds/],
      ['with_tags=|', /with_tags is invalid/],
      ['page=0', /page is invalid.*positive integer/],
      ['per_page=ten', /per_page is invalid.*positive integer/],
      ['page=99999999999', /page is invalid/],
    ];
    for (const [query, message] of cases) {
      const response = await api.request(`/v0/devices?${query}`);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { id: string; message: string; url: null };
      expect(body, query).toMatchObject({ id: 'bad_request', url: null });
      expect(body.message, query).toMatch(message);
    }
  });
});

describe('GET /v0/devices pagination', () => {
  const links = (response: TestResponse) =>
    Object.fromEntries(
      (response.headers.get('link') ?? '')
        .split(', ')
        .filter(Boolean)
        .map((part) => {
          const [, url, rel] = /^<([^>]+)>; rel="(\w+)"$/.exec(part)!;
          const params = new URL(url, api.url).searchParams;
          return [rel, `${params.get('page')}/${params.get('per_page')}/${params.get('q[name_cont]') ?? ''}`];
        }),
    );

  it('answers Link, Total and Per-Page, keeping the other query parameters in the links', async () => {
    const first = await list('per_page=2');
    expect(first.keys).toEqual(['bcn', 'mad']);
    expect(first.response.headers.get('total')).toBe('5');
    expect(first.response.headers.get('per-page')).toBe('2');
    expect(links(first.response)).toEqual({ next: '2/2/', last: '3/2/' });

    const middle = await list('page=2&per_page=2');
    expect(middle.keys).toEqual(['par', 'nyc']);
    expect(links(middle.response)).toEqual({ first: '1/2/', prev: '1/2/', next: '3/2/', last: '3/2/' });

    const last = await list('page=3&per_page=2');
    expect(last.keys).toEqual(['nowhere']);
    expect(links(last.response)).toEqual({ first: '1/2/', prev: '2/2/' });

    const filtered = await list('q[name_cont]=a&per_page=1&page=2');
    expect(filtered.response.headers.get('total')).toBe('4');
    expect(links(filtered.response)).toEqual({ first: '1/1/a', prev: '1/1/a', next: '3/1/a', last: '4/1/a' });
  });

  it('defaults to 25 per page and caps per_page at 100', async () => {
    expect((await list('')).response.headers.get('per-page')).toBe('25');
    const capped = await list('per_page=100000');
    expect(capped.response.headers.get('per-page')).toBe('1000');
    expect(capped.keys).toHaveLength(5);
  });

  it('answers an empty page past the end, still with the total', async () => {
    expect((await list('page=2147483647&per_page=100')).keys).toEqual([]);
    const beyond = await list('page=9&per_page=2');
    expect(beyond.keys).toEqual([]);
    expect(beyond.response.headers.get('total')).toBe('5');
    expect(links(beyond.response)).toEqual({ first: '1/2/', prev: '3/2/' });
  });
});
