import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { type StoredReading } from '#db';
import { startTestApi, type Json } from '../../tools/harness/api.js';
import { waitFor } from '../../tools/harness/poll.js';
import { openSse, type SseConnection, type SseEvent } from '../helpers/sse.js';
import { useContext } from '../helpers/context.js';
import type { IngestWriter, TestUser } from '../helpers/repositories.js';

const ctx = useContext({ api: { LIVE_POLL_MS: '100' } });
let owner: TestUser;
let other: TestUser;
let publicA: number;
let publicB: number;
let privateP: number;
let sensors: number[];
/** Two ingestors' database sides: each its own pool, writing live batches concurrently. */
const writers: IngestWriter[] = [];

beforeAll(async () => {
  owner = await ctx.newUser('owner', 'researcher');
  other = await ctx.newUser('other');
  publicA = (await ctx.postDevice(owner.token, { name: 'A' })).id;
  publicB = (await ctx.postDevice(owner.token, { name: 'B' })).id;
  privateP = (await ctx.postDevice(owner.token, { name: 'P', is_private: true })).id;
  sensors = (await ctx.db.sql.query<{ id: number }>('SELECT id FROM sensors ORDER BY id LIMIT 2')).rows.map(
    (r) => r.id,
  );
  for (let i = 0; i < 2; i++) writers.push(ctx.ingestWriter({ liveOutbox: true }));
});

const T0 = Date.parse('2026-01-01T00:00:00Z');
const key = (deviceId: number, sensorId: number, at: string) => `${deviceId}/${sensorId}/${at}`;

/** Readings of batch `n` of writer `w`: every device, both sensors, timestamps unique per batch. */
function batch(w: number, n: number): StoredReading[] {
  const at = T0 + (w * 10_000 + n) * 1000;
  return [publicA, publicB, privateP].flatMap((deviceId) =>
    sensors.map((sensorId, i) => ({ deviceId, sensorId, recordedAt: at, value: n + i / 10 })),
  );
}

/** The readings an event list carries, as keys, in order of arrival. */
function readingKeys(events: SseEvent[]): string[] {
  return events
    .filter((e) => e.event === 'message')
    .flatMap((e) => {
      const body = JSON.parse(e.data);
      return (body.readings as Json[]).map((r) => key(body.device_id, r.sensor_id, r.timestamp));
    });
}

const streamUrl = (path = '/v0/devices/readings/stream') => `${ctx.api.url}${path}`;

describe('server-sent events of stored readings', () => {
  it('a client that disconnects while two writers commit, and resumes with Last-Event-ID, gets every public reading exactly once', async () => {
    const received: SseEvent[] = [];
    let connection: SseConnection = await openSse(streamUrl());
    expect(connection.status).toBe(200);
    const batches = 30;
    let committed = 0;
    const write = async (w: number) => {
      for (let n = 0; n < batches; n++) {
        await writers[w].ingest.storeBatch({ readings: batch(w, n), errors: [] });
        // A re-send of the previous batch: ON CONFLICT skips every row, so nothing goes out.
        if (n > 0) await writers[w].ingest.storeBatch({ readings: batch(w, n - 1), errors: [] });
        committed++;
      }
    };
    const writing = Promise.all([write(0), write(1)]);
    // Three disconnects while the writers go on, each resumed from the last event id seen.
    for (let round = 0; round < 3; round++) {
      const target = (round + 1) * 10;
      await waitFor(
        () => connection.events.length,
        (n) => n >= 2 || committed >= batches * 2,
        {
          what: 'events before a disconnect',
        },
      );
      await waitFor(
        () => committed,
        (n) => n >= target,
        { what: `${target} batches committed` },
      );
      received.push(...(await connection.finish()));
      const last = connection.lastEventId();
      connection = await openSse(streamUrl(), last ? { 'last-event-id': last } : {});
      expect(connection.status).toBe(200);
    }
    await writing;
    const expected = [0, 1].flatMap((w) =>
      Array.from({ length: batches }, (_, n) =>
        batch(w, n)
          .filter((r) => r.deviceId !== privateP)
          .map((r) => key(r.deviceId, r.sensorId, new Date(r.recordedAt).toISOString())),
      ).flat(),
    );
    await waitFor(
      () => readingKeys([...received, ...connection.events]).length,
      (n) => n >= expected.length,
      { what: 'every public reading' },
    );
    received.push(...(await connection.finish()));
    const keys = readingKeys(received);
    expect(keys.length).toBe(expected.length);
    expect(new Set(keys).size).toBe(keys.length);
    expect([...keys].sort()).toEqual([...expected].sort());
    // Event ids only ever grow: the order every reader follows.
    const ids = received.map((e) => e.id!.split('-').map(BigInt));
    for (let i = 1; i < ids.length; i++) {
      const [a, b] = [ids[i - 1], ids[i]];
      expect(a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])).toBe(true);
    }
  });

  it('a batch that commits after a later one is not skipped by a client resuming in between', async () => {
    const early = new pg.Client({ connectionString: ctx.db.url });
    await early.connect();
    const connection = await openSse(streamUrl(`/v0/devices/${publicA}/readings/stream`));
    try {
      // The early transaction takes its id first and commits last.
      await early.query('BEGIN');
      await early.query(
        `INSERT INTO live_outbox (device_id, sensor_ids, recorded_ats, reading_values)
         VALUES ($1, $2, ARRAY['2026-02-01T00:00:00Z'::timestamptz], ARRAY[1.5])`,
        [publicA, [sensors[0]]],
      );
      await writers[0].ingest.storeBatch({
        readings: [
          {
            deviceId: publicA,
            sensorId: sensors[0],
            recordedAt: Date.parse('2026-02-01T00:00:01Z'),
            value: 2.5,
          },
        ],
        errors: [],
      });
      // Whatever the client has by now, it resumes from there while the early batch is still open.
      await sleep(500);
      connection.close();
      await connection.ended;
      const resumed = await openSse(
        streamUrl(`/v0/devices/${publicA}/readings/stream`),
        connection.lastEventId() ? { 'last-event-id': connection.lastEventId()! } : {},
      );
      await early.query('COMMIT');
      await waitFor(
        () => readingKeys([...connection.events, ...resumed.events]).length,
        (n) => n >= 2,
        { what: 'both batches' },
      );
      resumed.close();
      await resumed.ended;
      const keys = readingKeys([...connection.events, ...resumed.events]);
      expect(keys).toEqual([
        key(publicA, sensors[0], '2026-02-01T00:00:00.000Z'),
        key(publicA, sensors[0], '2026-02-01T00:00:01.000Z'),
      ]);
    } finally {
      await early.end();
    }
  });

  it('private devices: owner only on their stream, never on the public one', async () => {
    expect((await openSse(streamUrl(`/v0/devices/${privateP}/readings/stream`))).status).toBe(403);
    const stranger = await openSse(streamUrl(`/v0/devices/${privateP}/readings/stream`), {
      authorization: `Bearer ${other.token}`,
    });
    expect(stranger.status).toBe(403);
    const mine = await openSse(streamUrl(`/v0/devices/${privateP}/readings/stream`), {
      authorization: `Bearer ${owner.token}`,
    });
    const everyone = await openSse(streamUrl(`/v0/devices/readings/stream?sensor_id=${sensors[1]}`));
    expect(mine.status).toBe(200);
    await writers[1].ingest.storeBatch({ readings: batch(7, 1), errors: [] });
    await waitFor(
      () => readingKeys(mine.events).length,
      (n) => n >= 2,
      { what: 'the owner’s events' },
    );
    await waitFor(
      () => readingKeys(everyone.events).length,
      (n) => n >= 2,
      { what: 'public events' },
    );
    mine.close();
    everyone.close();
    await Promise.all([mine.ended, everyone.ended]);
    expect(readingKeys(mine.events).every((k) => k.startsWith(`${privateP}/`))).toBe(true);
    const publicKeys = readingKeys(everyone.events);
    expect(publicKeys.some((k) => k.startsWith(`${privateP}/`))).toBe(false);
    expect(publicKeys.every((k) => k.split('/')[1] === String(sensors[1]))).toBe(true);
    expect(publicKeys.length).toBe(2);
  });

  it('refuses streams past STREAM_MAX_CLIENTS with 503 and Retry-After, and bad Last-Event-IDs with 400', async () => {
    const small = await startTestApi(ctx.db, { STREAM_MAX_CLIENTS: '2' });
    try {
      const open = [
        await openSse(`${small.url}/v0/devices/readings/stream`),
        await openSse(`${small.url}/v0/devices/readings/stream`),
      ];
      expect(open.map((c) => c.status)).toEqual([200, 200]);
      const refused = await fetch(`${small.url}/v0/devices/readings/stream`);
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('10');
      expect(((await refused.json()) as Json).id).toBe('service_unavailable');
      for (const c of open) c.close();
      await Promise.all(open.map((c) => c.ended));
      await waitFor(
        async () =>
          (await fetch(`${small.url}/v0/devices/readings/stream`, { headers: { 'last-event-id': 'x' } }))
            .status,
        (status) => status === 400,
        { what: 'a slot freed and a 400 for a bad Last-Event-ID' },
      );
    } finally {
      await small.stop();
    }
  });
});
