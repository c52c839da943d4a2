import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, expect, it } from 'vitest';
import { type IngestorProcess } from '../../tools/harness/ingestor.js';
import { waitFor } from '../../tools/harness/poll.js';
import { useContext } from '../helpers/context.js';
import { freePort } from '../../tools/harness/ports.js';

const ROOT = join(import.meta.dirname, '..', '..');
const secret = (label: string) => `${label}${randomBytes(8).toString('hex')}`;
const DB_PASSWORD = secret('dbpw');
const REDIS_PASSWORD = secret('redispw');
const MQTT_PASSWORD = secret('mqttpw');

const ctx = useContext({ broker: true });
let ingestor: IngestorProcess;
let api: { child: ChildProcess; url: string; output: () => string; stop(): Promise<void> };

/** The API as its own process (as deployed), its stdout and stderr captured. */
async function spawnApi(env: Record<string, string>) {
  const port = await freePort();
  let log = '';
  const child = spawn(
    process.execPath,
    ['--conditions=source', '--import', '@swc-node/register/esm-register', 'apps/api/src/main.ts'],
    {
      cwd: ROOT,
      env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  await waitFor(async () => (await fetch(`${url}/ready`)).ok, Boolean, {
    what: `the API to be ready\n${log}`,
    timeoutMs: 30_000,
    intervalMs: 200,
  });
  return {
    child,
    url,
    output: () => log,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

beforeAll(async () => {
  const withPassword = new URL(ctx.db.url);
  // The test PostgreSQL trusts local connections: the password is sent nowhere but may not be logged.
  withPassword.password = DB_PASSWORD;
  const redis = await ctx.startRedis({ password: REDIS_PASSWORD });
  const queuePrefix = `t${randomBytes(4).toString('hex')}`;
  const shared = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'debug',
    DATABASE_URL: withPassword.toString(),
    REDIS_URL: redis.url,
    QUEUE_PREFIX: queuePrefix,
  };
  ingestor = await ctx.spawnIngestor({ ...shared, MQTT_USERNAME: 'ingestor', MQTT_PASSWORD });
  api = await spawnApi({ ...shared, RATE_LIMIT_PER_MINUTE: '100000' });
  ctx.defer(() => api.stop());
});

it('logs JSON lines with request and batch context, and never a token or password the run used', async () => {
  const owner = await ctx.newUser('log-owner');
  const created = await fetch(`${api.url}/v0/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${owner.token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Logged kit' }),
  });
  expect(created.status).toBe(201);
  const { device_token: deviceToken } = (await created.json()) as { device_token: string };
  // The API token in the query string, and a wrong one in the header.
  expect((await fetch(`${api.url}/v0/devices?access_token=${owner.token}`)).status).toBe(200);
  const wrongApiToken = secret('wrongapi');
  const refused = await fetch(`${api.url}/v0/devices`, {
    method: 'POST',
    headers: { authorization: `Bearer ${wrongApiToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Refused kit' }),
  });
  expect(refused.status).toBe(401);

  const unknownToken = secret('unknowndev');
  const messages = [
    { topic: `device/sck/${deviceToken}/readings/raw`, payload: '{t:2024-06-01T10:00:00Z,55:21.5,56:40.1}' },
    { topic: `device/sck/${deviceToken}/readings/raw`, payload: '{t:not-a-time,55:x}' },
    { topic: `device/sck/${deviceToken}/readings`, payload: 'not json' },
    { topic: `device/sck/${unknownToken}/readings/raw`, payload: '{t:2024-06-01T10:00:00Z,55:21.5}' },
  ];
  await ctx.send(messages, { settle: false });
  await waitFor(
    async () => {
      const stored = await ctx.db.sql.query<{ n: string }>('SELECT count(*) AS n FROM readings');
      const errors = await ctx.db.sql.query<{ n: string }>('SELECT count(*) AS n FROM ingest_errors');
      const parked = await ctx.db.sql.query<{ n: string }>('SELECT count(*) AS n FROM parked_messages');
      return [stored, errors, parked].map((r) => Number(r.rows[0].n));
    },
    ([stored, errors, parked]) => stored === 2 && errors >= 2 && parked === 1,
    { what: 'readings stored, rejections recorded and one message parked', timeoutMs: 30_000 },
  );
  expect(await ingestor.kill('SIGTERM')).toBe(0);
  await api.stop();

  const logs = { api: api.output(), ingestor: ingestor.output() };
  const lines = (text: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const apiLines = lines(logs.api);
  const ingestorLines = lines(logs.ingestor);
  // One request per line: method, URL without credentials, status, duration.
  const devicePost = apiLines.find(
    (l) =>
      (l.req as { method?: string })?.method === 'POST' &&
      (l.res as { statusCode?: number })?.statusCode === 201,
  );
  expect(devicePost).toMatchObject({ app: 'api', req: { url: '/v0/devices' } });
  expect(typeof devicePost?.responseTime).toBe('number');
  expect(
    apiLines.some((l) => (l.req as { url?: string })?.url === '/v0/devices?access_token=[redacted]'),
  ).toBe(true);
  // One batch per line: its size and duration.
  const batch = ingestorLines.find((l) => l.msg === 'batch stored');
  expect(batch).toMatchObject({ app: 'ingestor', context: 'BatchWriter', messages: expect.any(Number) });
  expect(typeof batch?.durationMs).toBe('number');

  const secrets = {
    apiToken: owner.token,
    wrongApiToken,
    deviceToken,
    unknownToken,
    DB_PASSWORD,
    REDIS_PASSWORD,
    MQTT_PASSWORD,
  };
  for (const [app, text] of Object.entries(logs)) {
    expect(text.length).toBeGreaterThan(0);
    const leaked = Object.entries(secrets)
      .filter(([, value]) => text.includes(value))
      .map(([name]) => `${app}: ${name}`);
    expect(leaked).toEqual([]);
  }
});
