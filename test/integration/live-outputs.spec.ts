import mqtt, { type MqttClient } from 'mqtt';
import { beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { inJobTransaction, LiveOutboxRepository } from '#db';
import { type Json } from '../../tools/harness/api.js';
import { waitFor } from '../../tools/harness/poll.js';
import { useContext } from '../helpers/context.js';
import type { IngestWriter, TestUser } from '../helpers/repositories.js';

const ctx = useContext({ broker: true, api: true });
let subscriber: MqttClient;
let writer: IngestWriter;
const received: { topic: string; body: Json }[] = [];
let researcher: TestUser;
let forwardingToken: string;
let forwardingUsername: string;
const ids: Record<'pub' | 'priv' | 'fwd', number> = { pub: 0, priv: 0, fwd: 0 };

const topic = (token: string) => `device/sck/${token}/readings/raw`;
const raw = (at: string, value: number) => `{t:${at},55:${value},56:${value + 1}}`;

beforeAll(async () => {
  researcher = await ctx.newUser('lab', 'researcher');
  ids.pub = (await ctx.postDevice(researcher.token, { name: 'public', device_token: 'livepub1' })).id;
  ids.priv = (
    await ctx.postDevice(researcher.token, { name: 'private', device_token: 'livepriv1', is_private: true })
  ).id;
  ids.fwd = (
    await ctx.postDevice(researcher.token, {
      name: 'forwarded',
      device_token: 'livefwd1',
      is_private: true,
      enable_forwarding: true,
    })
  ).id;
  // GET /v0/me makes a researcher's forwarding credentials the first time.
  const me = await ctx.api.request('/v0/me', { token: researcher.token });
  expect(me.status).toBe(200);
  const credentials = await me.json();
  forwardingToken = credentials.forwarding_token;
  forwardingUsername = credentials.forwarding_username;
  expect(forwardingToken).toMatch(/^[A-Za-z0-9_-]{16,}$/);
  await ctx.startIngestor({ LIVE_POLL_MS: '100' });
  // A persistent session: what is published while it is reconnecting waits for it at the broker.
  subscriber = await mqtt.connectAsync(ctx.broker.url, {
    clientId: `live-sub-${Math.random().toString(36).slice(2, 8)}`,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 200,
  });
  ctx.defer(() => subscriber.endAsync());
  subscriber.on('message', (t, payload) => received.push({ topic: t, body: JSON.parse(payload.toString()) }));
  await subscriber.subscribeAsync(['sck/v1/#', '/forward/#'], { qos: 1 });
  writer = ctx.ingestWriter({ liveOutbox: true });
});

const firehose = () => received.filter((m) => m.topic.startsWith('sck/v1/'));
const forwards = () => received.filter((m) => m.topic.startsWith('/forward/'));
const firehoseKeys = () =>
  firehose().flatMap((m) =>
    (m.body.readings as Json[]).map((r) => `${m.body.device_id}/${r.sensor_id}/${r.timestamp}/${r.value}`),
  );

describe('live outputs of the ingestor', () => {
  it('the firehose carries each stored reading of a public device once, nothing private, nothing for a re-send', async () => {
    const first = [
      { topic: topic('livepub1'), payload: raw('2026-03-01T10:00:00Z', 20) },
      { topic: topic('livepriv1'), payload: raw('2026-03-01T10:00:00Z', 30) },
      { topic: topic('livepub1'), payload: raw('2026-03-01T10:01:00Z', 21) },
    ];
    await ctx.send(first);
    await waitFor(firehoseKeys, (keys) => keys.length >= 4, { what: 'four public readings' });
    // The kit re-sends everything; then one new reading marks the end (outputs keep outbox order).
    await ctx.send(first);
    await ctx.send([{ topic: topic('livepub1'), payload: raw('2026-03-01T10:02:00Z', 22) }]);
    await waitFor(firehoseKeys, (keys) => keys.length >= 6, { what: 'the marker reading' });
    expect(firehoseKeys()).toEqual([
      `${ids.pub}/55/2026-03-01T10:00:00.000Z/20`,
      `${ids.pub}/56/2026-03-01T10:00:00.000Z/21`,
      `${ids.pub}/55/2026-03-01T10:01:00.000Z/21`,
      `${ids.pub}/56/2026-03-01T10:01:00.000Z/22`,
      `${ids.pub}/55/2026-03-01T10:02:00.000Z/22`,
      `${ids.pub}/56/2026-03-01T10:02:00.000Z/23`,
    ]);
    for (const m of firehose()) {
      expect(m.topic).toBe(`sck/v1/devices/${ids.pub}/readings`);
      expect(m.body).toMatchObject({ version: 1, device_id: ids.pub });
      expect(JSON.stringify(m.body)).not.toContain('livepub1');
    }
    const { rows } = await ctx.db.sql.query('SELECT count(*)::int AS n FROM readings WHERE device_id = $1', [
      ids.pub,
    ]);
    expect(rows[0].n).toBe(6);
  });

  it('forwards a private device’s batch to its owner’s topic with the device JSON and the batch’s readings', async () => {
    await ctx.send([{ topic: topic('livefwd1'), payload: raw('2026-03-02T08:00:00Z', 5) }]);
    const [message] = await waitFor(forwards, (f) => f.length >= 1, { what: 'a forward' });
    expect(message.topic).toBe(`/forward/${forwardingToken}/device/${ids.fwd}/readings`);
    expect(message.body).toMatchObject({
      id: ids.fwd,
      name: 'forwarded',
      device_token: '[FILTERED]',
      data_policy: { is_private: true, enable_forwarding: true },
      owner: { id: researcher.id, username: 'lab' },
    });
    const sensors = (message.body.data.sensors as Json[])
      .map((s) => [s.id, s.readings])
      .sort((a, b) => a[0] - b[0]);
    expect(sensors).toEqual([
      [55, [{ timestamp: '2026-03-02T08:00:00.000Z', value: 5 }]],
      [56, [{ timestamp: '2026-03-02T08:00:00.000Z', value: 6 }]],
    ]);
    expect(firehoseKeys().some((k) => k.startsWith(`${ids.fwd}/`))).toBe(false);
  });

  it('GET /v0/forward allows exactly the forwarding username on topics with the user’s token', async () => {
    const ask = async (t: string, username: string) =>
      await (
        await ctx.api.request(`/v0/forward?${new URLSearchParams({ topic: t, username }).toString()}`)
      ).json();
    expect(await ask(`/forward/${forwardingToken}/device/${ids.fwd}/readings`, forwardingUsername)).toEqual({
      result: 'allow',
    });
    expect(await ask(`forward/${forwardingToken}/#`, forwardingUsername)).toEqual({ result: 'allow' });
    expect(await ask(`/forward/${forwardingToken}/device/1/readings`, 'someone-else')).toEqual({
      result: 'deny',
    });
    expect(
      await ask(`/forward/0123456789abcdef0123456789abcdef/device/1/readings`, forwardingUsername),
    ).toEqual({
      result: 'deny',
    });
    expect(await ask(`/forward/${forwardingToken}`, forwardingUsername)).toEqual({ result: 'deny' });
    expect(await ask('', '')).toEqual({ result: 'deny' });
  });

  it('lets researchers and admins set enable_forwarding, not citizens', async () => {
    const citizen = await ctx.newUser('citizen-kit-owner');
    const own = await ctx.api.request('/v0/devices', {
      method: 'POST',
      token: citizen.token,
      body: { name: 'mine' },
    });
    const id = (await own.json()).id as number;
    const refused = await ctx.api.request(`/v0/devices/${id}`, {
      method: 'PATCH',
      token: citizen.token,
      body: { enable_forwarding: true },
    });
    expect(refused.status).toBe(403);
    const created = await ctx.api.request('/v0/devices', {
      method: 'POST',
      token: citizen.token,
      body: { name: 'other', enable_forwarding: true },
    });
    expect(created.status).toBe(403);
    const { rows } = await ctx.db.sql.query(
      'SELECT count(*)::int AS n FROM devices WHERE enable_forwarding AND owner_id = $1',
      [citizen.id],
    );
    expect(rows[0].n).toBe(0);
    const allowed = await ctx.api.request(`/v0/devices/${ids.pub}`, {
      method: 'PATCH',
      token: researcher.token,
      body: { enable_forwarding: false },
    });
    expect(allowed.status).toBe(200);
    expect((await allowed.json()).data_policy.enable_forwarding).toBe(false);
  });

  it('a broker outage delays forwards and the firehose but loses nothing', async () => {
    const before = forwards().length;
    const firehoseBefore = firehoseKeys().length;
    await ctx.broker.kill('SIGTERM');
    const at = (i: number) => Date.parse('2026-03-03T00:00:00Z') + i * 60_000;
    for (let i = 0; i < 5; i++) {
      await writer.ingest.storeBatch({
        readings: [
          { deviceId: ids.fwd, sensorId: 55, recordedAt: at(i), value: i },
          { deviceId: ids.pub, sensorId: 55, recordedAt: at(i), value: i },
        ],
        errors: [],
      });
    }
    // The forwards wait in the durable queue: the relay has moved past them while the broker is down.
    const { rows: last } = await ctx.db.sql.query<{ tx_id: string }>(
      'SELECT max(tx_id)::text AS tx_id FROM live_outbox WHERE device_id = $1',
      [ids.fwd],
    );
    await waitFor(
      async () =>
        (
          await ctx.db.sql.query<{ tx_id: string }>(
            "SELECT tx_id::text FROM live_positions WHERE name = 'forward'",
          )
        ).rows[0]?.tx_id,
      (tx) => tx !== undefined && BigInt(tx) >= BigInt(last[0].tx_id),
      { what: 'the forwards enqueued' },
    );
    await ctx.broker.restart();
    const expected = Array.from({ length: 5 }, (_, i) => new Date(at(i)).toISOString());
    const forwarded = () =>
      forwards()
        .slice(before)
        .flatMap((m) =>
          (m.body.data.sensors as Json[]).flatMap((s) => (s.readings as Json[]).map((r) => r.timestamp)),
        );
    await waitFor(forwarded, (t) => expected.every((e) => t.includes(e)), {
      what: 'every forward after the outage',
      timeoutMs: 60_000,
    });
    const publicKeys = () => firehoseKeys().slice(firehoseBefore);
    await waitFor(publicKeys, (k) => k.length >= 5, {
      what: 'the firehose after the outage',
      timeoutMs: 60_000,
    });
    expect(publicKeys()).toEqual(expected.map((t, i) => `${ids.pub}/55/${t}/${i}`));
  });

  it('reads a selection of a page in full, the rest by position only, and says how far the page went', async () => {
    const outbox = new LiveOutboxRepository(writer.prisma);
    const start = await outbox.horizon();
    const at = Date.parse('2026-04-01T08:00:00.123Z');
    for (const [deviceId, value] of [
      [ids.pub, 1.5],
      [ids.priv, 2.5],
      [ids.fwd, 3.25],
    ]) {
      await writer.ingest.storeBatch({
        readings: [
          { deviceId, sensorId: 56, recordedAt: at + 1000, value: value + 1 },
          { deviceId, sensorId: 55, recordedAt: at, value },
        ],
        errors: [],
      });
    }
    const readAll = (only: 'all' | 'public' | 'forwarded') =>
      waitFor(
        () => outbox.readAfter(start, { limit: 100, only }),
        (r) => r.through !== null && r.batches.length > 0 && !r.pending,
        { what: `the three batches (${only})` },
      );
    const all = await readAll('all');
    const mine = (b: { deviceId: number }) => Object.values(ids).includes(b.deviceId);
    expect(all.batches.filter(mine).map((b) => b.deviceId)).toEqual([ids.pub, ids.priv, ids.fwd]);
    const [pub] = all.batches.filter(mine);
    expect(pub.readings).toEqual([
      { sensorId: 55, recordedAt: new Date(at), value: 1.5 },
      { sensorId: 56, recordedAt: new Date(at + 1000), value: 2.5 },
    ]);
    const onlyPublic = await readAll('public');
    expect(onlyPublic.batches.filter(mine).map((b) => b.deviceId)).toEqual([ids.pub]);
    expect(onlyPublic.batches.every((b) => !b.isPrivate)).toBe(true);
    const onlyForwarded = await readAll('forwarded');
    expect(onlyForwarded.batches.filter(mine).map((b) => b.deviceId)).toEqual([ids.fwd]);
    expect(onlyForwarded.batches[0].readings.map((r) => r.value)).toEqual([3.25, 4.25]);
    // Every selection covers the same page: a reader resumes after the last batch, matching or not.
    const last = all.batches.at(-1)!;
    for (const read of [all, onlyPublic, onlyForwarded]) {
      expect(read.through).toEqual({ txId: last.txId, deviceId: last.deviceId });
    }
  });
  it('a long transaction of a storage job or of another database does not hold the outputs back; any other open one does', async () => {
    const outbox = new LiveOutboxRepository(writer.prisma);
    const start = await outbox.horizon();
    let at = Date.parse('2026-05-01T08:00:00Z');
    const store = () =>
      writer.ingest.storeBatch({
        readings: [{ deviceId: ids.pub, sensorId: 55, recordedAt: (at += 60_000), value: 7 }],
        errors: [],
      });
    const readable = async (after: typeof start) => {
      const read = await outbox.readAfter(after, { limit: 100 });
      return { read, mine: read.batches.filter((b) => b.deviceId === ids.pub) };
    };
    // Transactions that hold a transaction id open: a storage job's, and one in another database.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let jobStarted!: () => void;
    const jobRunning = new Promise<void>((resolve) => (jobStarted = resolve));
    const job = inJobTransaction(writer.prisma.pool, async (client) => {
      await client.query('SELECT pg_current_xact_id()');
      jobStarted();
      await held;
    });
    const elsewhereUrl = new URL(writer.prisma.options.url);
    elsewhereUrl.pathname = '/postgres';
    const elsewhere = new pg.Client({ connectionString: elsewhereUrl.toString() });
    await elsewhere.connect();
    const other = new pg.Client({ connectionString: writer.prisma.options.url });
    await other.connect();
    try {
      await jobRunning;
      await elsewhere.query('BEGIN');
      await elsewhere.query('SELECT pg_current_xact_id()');
      await store();
      const passed = await readable(start);
      expect(passed.mine).toHaveLength(1);
      expect(passed.read.pending).toBe(false);
      // A transaction of this database not declared a storage job may be a batch: it holds back
      // what commits after it until it ends.
      await other.query('BEGIN');
      await other.query('SELECT pg_current_xact_id()');
      await store();
      const blocked = await readable(passed.read.through!);
      expect(blocked.mine).toHaveLength(0);
      expect(blocked.read.pending).toBe(true);
      await other.query('COMMIT');
      const after = await readable(passed.read.through!);
      expect(after.mine).toHaveLength(1);
      expect(after.read.pending).toBe(false);
    } finally {
      release();
      await job;
      await elsewhere.query('ROLLBACK').catch(() => undefined);
      await elsewhere.end();
      await other.end();
    }
  });
});
