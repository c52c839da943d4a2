import { beforeAll, describe, expect, it } from 'vitest';
import { loadApiConfig } from '#config';
import { type RunningApi, startApi } from '../../apps/api/src/bootstrap.js';
import { useContext } from '../helpers/context.js';

/**
 * The endpoints EMQX's HTTP authenticator and authorizer call (docker-compose.yml), with the
 * bodies its templates produce. EMQX itself cannot run here; these are its side of the contract.
 */
const SECRET = 'a-shared-secret-of-some-length';
const ctx = useContext();
let api: RunningApi;
let disabled: RunningApi;

const base = { DATABASE_URL: '', PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'error' };

beforeAll(async () => {
  base.DATABASE_URL = ctx.db.url;
  api = await startApi(
    loadApiConfig({
      ...base,
      BROKER_AUTH_SECRET: SECRET,
      MQTT_USERNAME: 'sck-ingest',
      MQTT_PASSWORD: 'ingest-pw',
    }),
  );
  ctx.defer(() => api.app.close());
  disabled = await startApi(loadApiConfig(base));
  ctx.defer(() => disabled.app.close());
});

async function post(on: RunningApi, path: string, body: unknown, secret: string | null = SECRET) {
  const response = await fetch(`http://127.0.0.1:${on.port}/v0/broker/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(secret === null ? {} : { 'x-broker-secret': secret }),
    },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('POST /v0/broker/auth', () => {
  it.each([
    ['a kit as the firmware connects', { clientid: 'abc123', username: '', password: '' }, 'allow'],
    [
      'the ingestor with its password',
      { clientid: 'sck-ingest-1-0', username: 'sck-ingest', password: 'ingest-pw' },
      'allow',
    ],
    [
      'the ingestor’s name with a wrong password',
      { clientid: 'x', username: 'sck-ingest', password: 'guess' },
      'deny',
    ],
    [
      'a kit whose username EMQX rendered as "undefined"',
      { clientid: 'abc123', username: 'undefined' },
      'allow',
    ],
    ['an unknown user', { clientid: 'x', username: 'admin', password: 'admin' }, 'deny'],
    [
      'an anonymous client on the ingestor’s client id',
      { clientid: 'sck-ingest-1-0', username: '', password: '' },
      'deny',
    ],
  ])('%s: %s', async (_name, body, result) => {
    expect(await post(api, 'auth', body)).toEqual({ status: 200, body: { result, is_superuser: false } });
  });
});

describe('POST /v0/broker/acl', () => {
  it.each([
    [
      { clientid: 'abc123', username: '', action: 'publish', topic: 'device/sck/abc123/readings/raw' },
      'allow',
    ],
    [{ clientid: '123456', username: '', action: 'publish', topic: 'device/inventory' }, 'allow'],
    [
      { clientid: 'abc123', username: '', action: 'publish', topic: 'device/sck/other1/readings/raw' },
      'deny',
    ],
    [{ clientid: 'abc123', username: '', action: 'publish', topic: 'sck/v1/devices/1' }, 'deny'],
    [{ clientid: 'abc123', username: '', action: 'subscribe', topic: 'device/#' }, 'deny'],
    [
      { clientid: 'abc123', username: '', action: 'subscribe', topic: '$queue/device/sck/+/readings/raw' },
      'deny',
    ],
    [{ clientid: 'abc123', username: '', action: 'subscribe', topic: '$share/g/device/#' }, 'deny'],
    [{ clientid: 'abc123', username: '', action: 'subscribe', topic: '#' }, 'deny'],
    [{ clientid: 'viewer', username: '', action: 'subscribe', topic: 'sck/v1/#' }, 'allow'],
    [
      {
        clientid: 'sck-ingest-1-0',
        username: 'sck-ingest',
        action: 'subscribe',
        topic: '$queue/device/sck/+/readings/raw',
      },
      'allow',
    ],
    [
      { clientid: 'sck-ingest-1-0', username: 'sck-ingest', action: 'publish', topic: 'sck/v1/devices/1' },
      'allow',
    ],
  ])('%j: %s', async (body, result) => {
    expect(await post(api, 'acl', body)).toEqual({ status: 200, body: { result } });
  });

  it('refuses a malformed request with 422, which EMQX counts as no answer (denied)', async () => {
    expect((await post(api, 'acl', { clientid: 'abc123', action: 'delete', topic: 'x' })).status).toBe(422);
  });
});

it('answers only with the shared secret, and not at all without BROKER_AUTH_SECRET', async () => {
  const kit = { clientid: 'abc123', username: '', password: '' };
  expect((await post(api, 'auth', kit, null)).status).toBe(403);
  expect((await post(api, 'auth', kit, 'a-shared-secret-of-some-lengtX')).status).toBe(403);
  expect((await post(disabled, 'auth', kit)).status).toBe(404);
  expect((await post(disabled, 'acl', { ...kit, action: 'publish', topic: 'device/inventory' })).status).toBe(
    404,
  );
});
