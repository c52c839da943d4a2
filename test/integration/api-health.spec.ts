import { beforeAll, expect, it } from 'vitest';
import { loadApiConfig } from '#config';
import { type RunningApi, startApi } from '../../apps/api/src/bootstrap.js';
import { useContext } from '../helpers/context.js';

const ctx = useContext();
let api: RunningApi;

// The API as configured by hand, with nothing but its database (no Redis).
beforeAll(async () => {
  api = await startApi(
    loadApiConfig({ DATABASE_URL: ctx.db.url, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn' }),
  );
  ctx.defer(() => api.app.close());
});

it('serves GET /health and GET /ready', async () => {
  const health = await fetch(`http://127.0.0.1:${api.port}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toEqual({ status: 'ok' });
  const ready = await fetch(`http://127.0.0.1:${api.port}/ready`);
  expect(await ready.json()).toEqual({ status: 'ok', database: 'ok' });
});

it('answers /ready without internal error text when the database is unreachable', async () => {
  const broken = await startApi(
    loadApiConfig({
      DATABASE_URL: `${ctx.db.url}_missing`,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'fatal',
    }),
  );
  try {
    const ready = await fetch(`http://127.0.0.1:${broken.port}/ready`);
    expect(ready.status).toBe(503);
    const text = await ready.text();
    expect(JSON.parse(text)).toEqual({ status: 'unavailable', database: 'unavailable' });
    expect(text).not.toMatch(/does not exist|_missing/);
  } finally {
    await broken.app.close();
  }
});
