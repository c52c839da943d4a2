import { beforeAll, describe, expect, it } from 'vitest';
import { readMetric } from '../../tools/harness/ingestor.js';
import { waitFor } from '../../tools/harness/poll.js';
import { type InProcessIngestor, useContext } from '../helpers/context.js';
import { type TestRedis } from '../../tools/harness/redis.js';
import { type TcpProxy } from '../../tools/harness/tcp-proxy.js';

const ctx = useContext({ broker: true });
let redis: TestRedis;
let proxy: TcpProxy;
let ingestor: InProcessIngestor;

const raw = (token: string) => `device/sck/${token}/readings/raw`;
/** One raw message per minute from `start`, two sensors, values growing with time. */
const minutes = (token: string, start: number, count: number) =>
  Array.from({ length: count }, (_, i) => {
    const at = new Date(Date.UTC(2025, 0, 1, 0, start + i)).toISOString().replace('.000Z', 'Z');
    return { topic: raw(token), payload: `{t:${at},55:${start + i}.00,56:${start + i}.50}` };
  });

const metric = (name: string) => readMetric(ingestor.port, name);
/** Every message received has settled (stored, recorded, parked or spilled) and been acknowledged. */
async function allSettled(count: number) {
  await waitFor(
    async () =>
      (await metric('sck_ingest_pending_messages')) === 0 ? metric('sck_ingest_mqtt_received_total') : -1,
    (n) => n >= count,
    { what: `${count} messages settled`, timeoutMs: 30_000 },
  );
}
const stored = (deviceId: number) => ctx.readingCount(deviceId);

beforeAll(async () => {
  redis = await ctx.startRedis();
  const database = await ctx.databaseProxy();
  proxy = database.proxy;
  ingestor = await ctx.startIngestor({
    DATABASE_URL: database.url,
    REDIS_URL: redis.url,
    DB_RETRY_WINDOW_MS: '500',
    LOG_LEVEL: 'warn',
  });
  // The database reachable again before the ingestor stops, whatever the test left it in.
  ctx.defer(() => proxy.open().catch(() => undefined));
});

describe('store-and-forward while Postgres is unreachable', () => {
  it('acknowledges batches spilled to Redis and stores every one once Postgres is back', async () => {
    const id = (await ctx.newDevice('sf0001')).id;
    await ctx.send(minutes('sf0001', 0, 5), { settle: false });
    await allSettled(5);
    expect(await stored(id)).toEqual({ rows: 10, distinct: 10 });

    await proxy.cut();
    const outage = minutes('sf0001', 5, 30);
    // The second half repeats messages of the first: duplicates stay single rows.
    await ctx.send([...outage, ...outage.slice(0, 5)], { settle: false });
    await allSettled(40);
    expect(await metric('sck_ingest_spilled_messages_total')).toBe(35);
    expect(await stored(id)).toEqual({ rows: 10, distinct: 10 });

    await proxy.open();
    await waitFor(
      () => stored(id),
      (s) => s.rows >= 70,
      { what: 'the spilled batches to be written', timeoutMs: 45_000 },
    );
    expect(await stored(id)).toEqual({ rows: 70, distinct: 70 });
    expect(await ctx.data.latestSensorValues(id)).toEqual([
      [55, 34, '2025-01-01T00:34:00.000Z'],
      [56, 34.5, '2025-01-01T00:34:00.000Z'],
    ]);
    const { rows: dev } = await ctx.db.sql.query('SELECT last_reading_at FROM devices WHERE id = $1', [id]);
    expect(dev[0].last_reading_at.toISOString()).toBe('2025-01-01T00:34:00.000Z');

    // The live path works again, without restarting anything.
    await ctx.send(minutes('sf0001', 35, 1), { settle: false });
    await allSettled(41);
    await waitFor(
      () => stored(id),
      (s) => s.rows === 72,
      { what: 'a live reading after the outage' },
    );
  });

  it('stops acknowledging when Redis is down too, and stores everything once Postgres is back', async () => {
    const id = (await ctx.newDevice('sf0002')).id;
    await redis.kill();
    await proxy.cut();
    const spilledBefore = await metric('sck_ingest_spilled_messages_total');
    await ctx.send(minutes('sf0002', 0, 8), { settle: false });
    // Not acknowledged: the transport drops the member's connection and the broker keeps the
    // message; nothing is spilled and nothing settles.
    await waitFor(
      () => metric('sck_ingest_unacknowledged_batches_total'),
      (n) => n >= 2,
      {
        what: 'batches left unacknowledged',
      },
    );
    expect(await metric('sck_ingest_spilled_messages_total')).toBe(spilledBefore);
    expect(await stored(id)).toEqual({ rows: 0, distinct: 0 });

    await proxy.open();
    await waitFor(
      () => stored(id),
      (s) => s.rows >= 16,
      { what: 'redelivered messages to be stored', timeoutMs: 45_000 },
    );
    expect(await stored(id)).toEqual({ rows: 16, distinct: 16 });
    await redis.restart();
  });
});
