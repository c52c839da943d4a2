import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { SENSOR_CATALOGUE } from '#db';
import { sensorResponse } from '../../apps/api/src/sensors/sensors.dto.js';
import { useContext } from '../helpers/context.js';

const ctx = useContext({ api: true });
let admin: { token: string };
let citizen: { token: string };
const catalogue = (JSON.parse(readFileSync(SENSOR_CATALOGUE, 'utf8')) as { id: number; name: string }[]).sort(
  (a, b) => a.id - b.id,
);

beforeAll(async () => {
  admin = await ctx.newUser('ada', 'admin');
  citizen = await ctx.newUser('cid');
});

describe('GET /v0/sensors', () => {
  it('lists the catalogue by id with the v0 keys and pagination headers', async () => {
    const response = await ctx.api.request('/v0/sensors?per_page=3&page=2');
    expect(response.status).toBe(200);
    const body = await response.json();
    expect(body.map((s: { id: number }) => s.id)).toEqual(catalogue.slice(3, 6).map((s) => s.id));
    for (const sensor of body) sensorResponse.parse(sensor);
    expect(Object.keys(body[0])).toEqual([
      'id',
      'uuid',
      'parent_id',
      'name',
      'description',
      'unit',
      'created_at',
      'updated_at',
      'ancestry',
      'default_key',
      'datasheet',
      'unit_definition',
      'measurement',
      'tags',
    ]);
    expect(response.headers.get('total')).toBe(String(catalogue.length));
    expect(response.headers.get('per-page')).toBe('3');
    const lastPage = Math.ceil(catalogue.length / 3);
    expect(response.headers.get('link')).toBe(
      [
        `</v0/sensors?per_page=3&page=1>; rel="first"`,
        `</v0/sensors?per_page=3&page=1>; rel="prev"`,
        `</v0/sensors?per_page=3&page=3>; rel="next"`,
        `</v0/sensors?per_page=3&page=${lastPage}>; rel="last"`,
      ].join(', '),
    );
  });

  it('filters with q[name_cont] and q[id_in][]', async () => {
    const byName = await (await ctx.api.request('/v0/sensors?q[name_cont]=temperature&per_page=100')).json();
    const expected = catalogue.filter((s) => s.name.toLowerCase().includes('temperature')).map((s) => s.id);
    expect(expected.length).toBeGreaterThan(1);
    expect(byName.map((s: { id: number }) => s.id)).toEqual(expected);
    const byId = await (await ctx.api.request('/v0/sensors?q[id_in][]=56&q[id_in][]=10')).json();
    expect(byId.map((s: { id: number; name: string }) => [s.id, s.name])).toEqual([
      [10, 'Battery'],
      [56, catalogue.find((s) => s.id === 56)!.name],
    ]);
  });

  it('answers 400 for malformed parameters', async () => {
    const response = await ctx.api.request('/v0/sensors?q[id_in][]=1.5');
    expect(response.status).toBe(400);
    expect((await response.json()).message).toMatch(/q\[id_in\]\[\] is invalid/);
  });
});

describe('GET /v0/sensors/:id', () => {
  it('answers one sensor, or 404', async () => {
    const response = await ctx.api.request('/v0/sensors/55');
    expect(await response.json()).toMatchObject({ id: 55, name: 'Temperature', parent_id: null });
    const missing = await ctx.api.request('/v0/sensors/99999');
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      id: 'record_not_found',
      message: 'Sensor 99999 not found',
      url: null,
      errors: null,
    });
  });
});

describe('POST and PATCH /v0/sensors (admin)', () => {
  it('lets an admin add and edit a sensor', async () => {
    const created = await ctx.api.request('/v0/sensors', {
      method: 'POST',
      token: admin.token,
      body: { name: 'Radon', unit: 'Bq/m3', description: 'Radon concentration', parent_id: 55 },
    });
    expect(created.status).toBe(201);
    const sensor = await created.json();
    expect(sensor).toMatchObject({ name: 'Radon', unit: 'Bq/m3', parent_id: 55 });
    expect(sensor.id).toBeGreaterThan(Math.max(...catalogue.map((s) => s.id)));

    const edited = await ctx.api.request(`/v0/sensors/${sensor.id}`, {
      method: 'PATCH',
      token: admin.token,
      body: { unit: 'kBq/m3', parent_id: null },
    });
    expect(await edited.json()).toMatchObject({
      id: sensor.id,
      name: 'Radon',
      unit: 'kBq/m3',
      parent_id: null,
    });
    const { rows } = await ctx.db.sql.query('SELECT unit, parent_id FROM sensors WHERE id = $1', [sensor.id]);
    expect(rows).toEqual([{ unit: 'kBq/m3', parent_id: null }]);
  });

  it('refuses guests (401) and non-admins (403), validates bodies (422) and unknown ids (404)', async () => {
    const guest = await ctx.api.request('/v0/sensors', { method: 'POST', body: { name: 'x' } });
    expect(guest.status).toBe(401);
    const notAdmin = await ctx.api.request('/v0/sensors', {
      method: 'POST',
      token: citizen.token,
      body: { name: 'x' },
    });
    expect(notAdmin.status).toBe(403);
    expect((await notAdmin.json()).id).toBe('forbidden');
    const invalid = await ctx.api.request('/v0/sensors', {
      method: 'POST',
      token: admin.token,
      body: { unit: 5 },
    });
    expect(invalid.status).toBe(422);
    expect(Object.keys((await invalid.json()).errors).sort()).toEqual(['name', 'unit']);
    const badParent = await ctx.api.request('/v0/sensors', {
      method: 'POST',
      token: admin.token,
      body: { name: 'Orphan', parent_id: 99999 },
    });
    expect(badParent.status).toBe(422);
    const missing = await ctx.api.request('/v0/sensors/99999', {
      method: 'PATCH',
      token: admin.token,
      body: { name: 'x' },
    });
    expect(missing.status).toBe(404);
  });
});
