import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { waitFor } from '../../tools/harness/poll.js';

let db: TestDatabase;
let api: TestApi;
let layer: ReturnType<typeof testDataLayer>;
let owner: Awaited<ReturnType<typeof layer.newUser>>;
let publicId: number;
let privateId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startTestApi(db);
  layer = testDataLayer(db);
  owner = await layer.newUser('owner');
  const create = async (body: object) =>
    (
      (await (await api.request('/v0/devices', { method: 'POST', token: owner.token, body })).json()) as {
        id: number;
      }
    ).id;
  publicId = await create({ name: 'Rooftop' });
  privateId = await create({ name: 'Bedroom', is_private: true });
  for (const deviceId of [publicId, privateId]) {
    await layer.storeReadings(
      Array.from({ length: 50 }, (_, i) => ({
        deviceId,
        sensorId: 55,
        recordedAt: Date.parse('2024-01-01T00:00:00Z') + i * 60_000,
        value: i,
      })),
    );
  }
});

afterAll(async () => {
  await api?.stop();
  await layer?.close();
  await db?.drop();
});

/** Runs `body` while another session holds an exclusive lock on readings: any rollup blocks on it. */
async function withReadingsLocked<T>(
  body: (blockedRollups: () => Promise<number>) => Promise<T>,
): Promise<T> {
  const locker = new pg.Client({ connectionString: db.url });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query('LOCK TABLE readings IN ACCESS EXCLUSIVE MODE');
    const blockedRollups = async () => {
      const { rows } = await db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM pg_stat_activity
          WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%FROM readings%'`,
      );
      return rows[0].n;
    };
    return await body(blockedRollups);
  } finally {
    await locker.query('ROLLBACK').catch(() => undefined);
    await locker.end();
  }
}

const ALL_TIME = 'sensor_id=55&rollup=1w&from=0&to=2000000000';

describe('readings cost limits', () => {
  it('refuses a guest on a private device before any rollup query starts', async () => {
    await withReadingsLocked(async (blockedRollups) => {
      const refused = await Promise.all(
        Array.from({ length: 8 }, () => api.request(`/v0/devices/${privateId}/readings?${ALL_TIME}`)),
      );
      for (const response of refused) {
        expect(response.status).toBe(403);
        expect((await response.json()).id).toBe('forbidden');
      }
      // The owner's request does query: once it waits on the lock, it must be the only one waiting.
      const allowed = api.request(`/v0/devices/${privateId}/readings?${ALL_TIME}`, { token: owner.token });
      await waitFor(blockedRollups, (n) => n >= 1, { what: "the owner's rollup to wait on the lock" });
      expect(await blockedRollups()).toBe(1);
      return { allowed };
    }).then(async ({ allowed }) => {
      const response = await allowed;
      expect(response.status).toBe(200);
      expect((await response.json()).sample_size).toBe(50);
    });
  });

  it('refuses more buckets than the limit with a 400 naming it and a rollup that fits', async () => {
    const response = await api.request(
      `/v0/devices/${publicId}/readings?sensor_id=55&rollup=1s&from=0&to=999999999999`,
    );
    expect(response.status).toBe(400);
    const body = await response.json();
    expect(body.id).toBe('bad_request');
    expect(body.message).toContain('at most 10000');
    const suggested = /use rollup=(\d+[smhdw]) or coarser/.exec(body.message as string)?.[1];
    expect(suggested).toBeDefined();
    expect(body.errors.max_buckets).toBe(10_000);
    const fits = await api.request(
      `/v0/devices/${publicId}/readings?sensor_id=55&rollup=${suggested}&from=0&to=999999999999`,
    );
    expect(fits.status).toBe(200);
    expect((await fits.json()).sample_size).toBe(50);
  });

  it('cancels a statement past API_STATEMENT_TIMEOUT_MS with a clear 503', async () => {
    const impatient = await startTestApi(db, { API_STATEMENT_TIMEOUT_MS: '300' });
    try {
      const response = await withReadingsLocked(() =>
        impatient.request(`/v0/devices/${publicId}/readings?${ALL_TIME}`),
      );
      expect(response.status).toBe(503);
      const body = await response.json();
      expect(body).toEqual({
        id: 'service_unavailable',
        message: expect.stringContaining('more than 300 ms of database time') as string,
        url: null,
        errors: null,
      });
      // The pool is usable afterwards.
      const again = await impatient.request(`/v0/devices/${publicId}/readings?${ALL_TIME}`);
      expect(again.status).toBe(200);
    } finally {
      await impatient.stop();
    }
  });
});
