import { execFile } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { EMBEDDED_CREDENTIALS_FILE, embeddedDatabaseUrl, readEmbeddedCredentials } from '#config';
import { QUEUES, type ReplayParkedJob, createQueue } from '#queues';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher } from '../../tools/simulator/publisher.js';
import {
  ROOT,
  TS,
  type SingleNode,
  type StartedSystem,
  embeddedBlocked,
  prepareSingleNode,
  removeSingleNode,
  startSystem,
} from '../helpers/single-node.js';

const run = promisify(execFile);
const blocked = embeddedBlocked();

/**
 * `npm start` with nothing external: no DATABASE_URL, MQTT_HOST or REDIS_URL. The process runs
 * its own PostgreSQL, MQTT broker and BullMQ-on-PostgreSQL, in a temporary data directory and on
 * free ports (see prepareSingleNode).
 */
describe.skipIf(blocked !== null)('single-node mode (npm start on embedded defaults)', () => {
  let node: SingleNode;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  let ports: SingleNode['ports'];
  let system: StartedSystem | undefined;

  beforeAll(async () => {
    node = await prepareSingleNode();
    ({ dir, env, ports } = node);
  });

  afterAll(() => removeSingleNode(node, system));

  it('stores a reading published to the embedded broker, runs jobs on PostgreSQL, and keeps it all across a restart', async () => {
    system = await startSystem(env, ports.api);
    expect(system.output()).toContain('sck-ingest (single node: nothing external)');
    expect(system.output()).toContain(`data in ${join(dir, 'data', 'postgres')}`);
    expect(existsSync(join(dir, 'data', 'postgres', 'PG_VERSION'))).toBe(true);

    // Password authentication: the passwords are kept 0600 in the cluster directory, a connection
    // without one is refused, and the apps' role is no superuser.
    const cluster = join(dir, 'data', 'postgres');
    expect(statSync(join(cluster, EMBEDDED_CREDENTIALS_FILE)).mode & 0o777).toBe(0o600);
    const credentials = readEmbeddedCredentials(cluster)!;
    const databaseUrl = embeddedDatabaseUrl(ports.postgres, credentials.app);
    for (const user of ['postgres', 'sck_app']) {
      const guess = new pg.Client({
        connectionString: `postgresql://${user}:guess@127.0.0.1:${ports.postgres}/postgres`,
        connectionTimeoutMillis: 10_000,
      });
      guess.on('error', () => undefined);
      await expect(guess.connect()).rejects.toThrow(/password authentication failed/);
    }
    const app = new pg.Client({ connectionString: databaseUrl });
    await app.connect();
    try {
      const { rows } = await app.query('SELECT rolsuper FROM pg_roles WHERE rolname = current_user');
      expect(rows).toEqual([{ rolsuper: false }]);
      await expect(app.query("COPY (SELECT 1) TO PROGRAM 'true'")).rejects.toThrow(
        /permission denied|must be superuser|privilege/i,
      );
    } finally {
      await app.end();
    }

    const device = JSON.parse(
      (
        await run(
          process.execPath,
          [
            ...TS,
            'scripts/device-create.ts',
            '--token',
            'emb001',
            '--name',
            'School kit',
            '--database-url',
            databaseUrl,
          ],
          {
            cwd: ROOT,
            env,
          },
        )
      ).stdout,
    ) as { id: number; token: string };
    expect(device.token).toBe('emb001');

    const recordedAt = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 5 * 60_000);
    const at = recordedAt.toISOString().replace('.000Z', 'Z');
    // The live firehose works on the embedded broker too (docs/live.md).
    const firehose = await connectPublisher(ports.mqtt);
    const live: { topic: string; body: { device_id: number; readings: unknown[] } }[] = [];
    firehose.on('message', (topic, payload) =>
      live.push({ topic, body: JSON.parse(payload.toString()) as (typeof live)[number]['body'] }),
    );
    await firehose.subscribeAsync('sck/v1/#', { qos: 1 });
    const publisher = await connectPublisher(ports.mqtt, 'emb001'); // as a kit: client id = token
    await publisher.publishAsync('device/sck/emb001/readings/raw', `{t:${at},55:21.75,56:40.5}`, { qos: 1 });
    await publisher.endAsync();

    const since = Math.floor(recordedAt.getTime() / 1000) - 3600;
    const path = `/v0/devices/${device.id}/readings?sensor_id=55&rollup=1m&from=${since}`;
    const stored = await waitFor(
      async () =>
        (await fetch(`http://127.0.0.1:${ports.api}${path}`)).json() as Promise<{
          readings: [string, number][];
        }>,
      (body) => body.readings?.length === 1,
      { what: 'the reading to be readable through the API', timeoutMs: 15_000, intervalMs: 200 },
    );
    expect(stored.readings).toEqual([[at, 21.75]]);
    await waitFor(
      () => live.length,
      (n) => n >= 1,
      { what: 'the reading on the firehose', timeoutMs: 15_000 },
    );
    await firehose.endAsync();
    expect(live.map((m) => [m.topic, m.body.device_id, m.body.readings.length])).toEqual([
      [`sck/v1/devices/${device.id}/readings`, device.id, 2],
    ]);

    // A kit nobody registered yet: its reading is parked. Registering it through the API enqueues
    // the replay on BullMQ's PostgreSQL backend (no Redis anywhere), and the ingestor's own
    // worker on that backend replays the parked reading into the device's data.
    const early = await connectPublisher(ports.mqtt, 'emb002');
    await early.publishAsync('device/sck/emb002/readings/raw', `{t:${at},55:19.25}`, { qos: 1 });
    await early.endAsync();
    const admin = JSON.parse(
      (
        await run(
          process.execPath,
          [
            ...TS,
            'scripts/user-create.ts',
            '--username',
            'ana',
            '--role',
            'admin',
            '--database-url',
            databaseUrl,
          ],
          { cwd: ROOT, env },
        )
      ).stdout,
    ) as { token: string };
    const created = await fetch(`http://127.0.0.1:${ports.api}/v0/devices`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Second kit', device_token: 'emb002' }),
    });
    expect(created.status).toBe(201);
    const second = (await created.json()) as { id: number };
    const replayed = await waitFor(
      async () =>
        (
          await fetch(
            `http://127.0.0.1:${ports.api}/v0/devices/${second.id}/readings?sensor_id=55&rollup=1m&from=${since}`,
          )
        ).json() as Promise<{
          readings: [string, number][];
        }>,
      (body) => body.readings?.length === 1,
      { what: 'the parked reading to be replayed', timeoutMs: 30_000, intervalMs: 250 },
    );
    expect(replayed.readings).toEqual([[at, 19.25]]);
    const queue = createQueue<ReplayParkedJob>(QUEUES.deviceLifecycle, {
      kind: 'postgres',
      url: databaseUrl,
    });
    try {
      expect(await queue.getJobCounts('failed', 'waiting', 'active')).toMatchObject({
        failed: 0,
        waiting: 0,
        active: 0,
      });
    } finally {
      await queue.close();
    }

    expect(await system.stop()).toBe(0);
    expect(system.output()).toContain('stopped cleanly');
    expect(existsSync(join(dir, 'data', 'postgres', 'postmaster.pid'))).toBe(false);

    system = await startSystem(env, ports.api);
    const devices = (await (await fetch(`http://127.0.0.1:${ports.api}/v0/devices?per_page=10`)).json()) as {
      name: string;
    }[];
    expect(devices.map((d) => d.name).sort()).toEqual(['School kit', 'Second kit']);
    const again = (await (await fetch(`http://127.0.0.1:${ports.api}${path}`)).json()) as {
      readings: [string, number][];
    };
    expect(again.readings).toEqual([[at, 21.75]]);
    // Two cold starts (initdb on the first) on a shared machine.
  }, 180_000);
});
