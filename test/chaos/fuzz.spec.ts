import { afterAll, beforeAll, expect, it } from 'vitest';
import { applyReadingRules, decodeJsonReadings, decodeRawReadings } from '#domain';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher } from '../../tools/simulator/publisher.js';
import { type ChaosContext, chaosContext } from './context.js';
import { hostileMessages } from './fuzz.js';
import { peakRssMb } from '../../tools/harness/chaos-results.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const COUNT = Number(process.env.FUZZ_COUNT ?? 2000);
const MAX_PAYLOAD = 64 * 1024;

let ctx: ChaosContext;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 20 });
});
afterAll(() => ctx?.close());

it(`survives ${COUNT} hostile payloads (seed ${SEED}) next to valid traffic, recording every bad one`, async () => {
  const ingestor = await ctx.spawn({ MQTT_CLIENT_ID: 'fuzz', MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD) });
  const now = Date.now();
  const messages = hostileMessages(SEED, COUNT, 'fz', now);
  // Every generated token but the injected ones is a registered device, so each message's outcome
  // can be told apart: its readings, its rejections (or, for the injected tokens, its parking).
  await ctx.db.sql.query(
    `INSERT INTO devices (token, name) SELECT 'fz' || g, 'fuzz' FROM generate_series(0, $1::int - 1) g`,
    [COUNT],
  );
  const sensorIds = new Set(
    (await ctx.db.sql.query<{ id: number }>('SELECT id FROM sensors')).rows.map((r) => r.id),
  );
  // What each message must produce, from the decoder and rules the unit tests pin down.
  const registered = (token: string) => /^fz\d+$/.test(token) && Number(token.slice(2)) < COUNT;
  const expectations = messages.map((m) => {
    if (!registered(m.token) || m.payload.length > MAX_PAYLOAD) return { rows: 0, bad: true };
    const decoded = m.kind === 'raw' ? decodeRawReadings(m.payload) : decodeJsonReadings(m.payload);
    if (!decoded.ok) return { rows: 0, bad: true };
    const { rows, rejections } = applyReadingRules(decoded.readings, {
      sensorIds,
      now,
      floor: Date.UTC(2000, 0, 1),
      maxFutureMs: 24 * 3_600_000,
    });
    return { rows: rows.length, bad: rejections.length > 0 };
  });

  const fleet = ctx.fleet(100);
  await fleet.start();
  const attacker = await connectPublisher(ctx.broker.port);
  for (const m of messages) {
    const topic = `device/sck/${m.token}/readings${m.kind === 'raw' ? '/raw' : ''}`;
    await attacker.publishAsync(topic, m.payload, { qos: 1 });
  }
  await attacker.endAsync();
  await fleet.stop();

  // The ingestor lives, and every message has been handled.
  const settled = async () =>
    (await ingestor.metric('sck_ingest_inflight_messages')) === 0
      ? ingestor.metric('sck_ingest_messages_total')
      : -1;
  await waitFor(settled, (n) => n >= messages.length + fleet.sent, {
    what: 'every message stored or recorded',
    timeoutMs: 60_000,
  });
  expect(ingestor.child.exitCode).toBeNull();
  expect((await fetch(`http://127.0.0.1:${ingestor.port}/health`)).status).toBe(200);

  const errorsByToken = new Map(
    (
      await ctx.db.sql.query<{ token: string; n: number }>(
        'SELECT token, count(*)::int AS n FROM ingest_errors GROUP BY token',
      )
    ).rows.map((r) => [r.token, r.n]),
  );
  const rowsByToken = new Map(
    (
      await ctx.db.sql.query<{ token: string; n: number }>(
        `SELECT d.token, count(*)::int AS n FROM readings r JOIN devices d ON d.id = r.device_id GROUP BY d.token`,
      )
    ).rows.map((r) => [r.token, r.n]),
  );
  // A message for a token no device holds is parked for replay, not rejected: recorded too.
  const parked = new Set(
    (await ctx.db.sql.query<{ token: string }>('SELECT DISTINCT token FROM parked_messages')).rows.map(
      (r) => r.token,
    ),
  );
  // A token outside [A-Za-z0-9_-]{1,64} makes the whole topic unknown_topic, recorded without a token.
  const unknownTopics = new Set(
    (
      await ctx.db.sql.query<{ topic: string }>(
        `SELECT topic FROM ingest_errors WHERE reason = 'unknown_topic'`,
      )
    ).rows.map((r) => r.topic),
  );
  const topicOf = (m: (typeof messages)[number]) =>
    `device/sck/${m.token}/readings${m.kind === 'raw' ? '/raw' : ''}`.slice(0, 512);
  const unrecorded = messages.filter(
    (m, i) =>
      expectations[i].bad &&
      !errorsByToken.has(m.token) &&
      !parked.has(m.token) &&
      !unknownTopics.has(topicOf(m)),
  );
  const wrongRows = messages.filter((m, i) => (rowsByToken.get(m.token) ?? 0) !== expectations[i].rows);
  const bad = expectations.filter((e) => e.bad).length;
  const verdict = await ctx.settle(fleet);
  ctx.record('fuzz corpus + valid traffic', 0, fleet, verdict, {
    badTried: bad,
    badRecorded: bad - unrecorded.length,
    peakRssMb: peakRssMb(ingestor.child.pid!),
  });

  expect(bad).toBeGreaterThan(COUNT * 0.8);
  expect(
    unrecorded.map(
      (m) => `${m.family} [${m.token.slice(0, 40)}]: ${m.payload.subarray(0, 60).toString('latin1')}`,
    ),
  ).toEqual([]);
  expect(wrongRows.map((m) => `${m.family}: ${m.payload.subarray(0, 80).toString('latin1')}`)).toEqual([]);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0, wrongLatest: 0 });
  // Oversized payloads are kept only up to the limit.
  const { rows } = await ctx.db.sql.query<{ longest: number }>(
    `SELECT max(octet_length(payload))::int AS longest FROM ingest_errors`,
  );
  expect(rows[0].longest).toBeLessThanOrEqual(MAX_PAYLOAD);
});
