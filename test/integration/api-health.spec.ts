import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadApiConfig } from '../../libs/config/src/index.js';
import { type RunningApi, startApi } from '../../apps/api/src/bootstrap.js';
import { createTestDatabase, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
let api: RunningApi;

beforeAll(async () => {
  db = await createTestDatabase();
  api = await startApi(
    loadApiConfig({ DATABASE_URL: db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
  );
});
afterAll(async () => {
  await api?.app.close();
  await db?.drop();
});

it('serves GET /health and GET /ready', async () => {
  const health = await fetch(`http://127.0.0.1:${api.port}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  const ready = await fetch(`http://127.0.0.1:${api.port}/ready`);
  expect(await ready.json()).toEqual({ status: 'ok', database: 'ok' });
});
