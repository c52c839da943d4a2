import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../tools/harness/poll.js';
import { type InProcessIngestor, useContext } from '../helpers/context.js';
import { type TestRedis } from '../../tools/harness/redis.js';

const ctx = useContext({ broker: true });
let redis: TestRedis;
let ingestor: InProcessIngestor;

const raw = (token: string) => `device/sck/${token}/readings/raw`;

const count = async (deviceId: number) => (await ctx.readingCount(deviceId)).rows;

beforeAll(async () => {
  redis = await ctx.startRedis();
  ingestor = await ctx.startIngestor({ REDIS_URL: redis.url });
  // Redis back before the ingestor stops, whatever the test left it in.
  ctx.defer(() => redis.restart().catch(() => undefined));
});

describe('Redis outage', () => {
  it('keeps readings of registered devices flowing into Postgres while Redis is down', async () => {
    const id = (await ctx.newDevice('rd0001')).id;
    await ctx.send([{ topic: raw('rd0001'), payload: '{t:2025-02-01T00:00:00Z,55:1.00}' }], {
      settle: false,
    });
    await waitFor(
      () => count(id),
      (n) => n === 1,
      { what: 'a reading with Redis up' },
    );

    await redis.kill();
    const messages = Array.from({ length: 20 }, (_, i) => ({
      topic: raw('rd0001'),
      payload: `{t:2025-02-01T01:${String(i).padStart(2, '0')}:00Z,55:${i}.00,56:${i}.00}`,
    }));
    await ctx.send(messages, { settle: false });
    await waitFor(
      () => count(id),
      (n) => n === 41,
      { what: 'readings stored with Redis down' },
    );

    // Hello, info and parking do not need Redis either.
    await ctx.send(
      [
        { topic: 'device/sck/rd0001/info', payload: '{"hw_ver":"2.1"}' },
        { topic: raw('nobody'), payload: '{t:2025-02-01T00:00:00Z,55:1.00}' },
      ],
      { settle: false },
    );
    await waitFor(
      async () => {
        const { rows } = await ctx.db.sql.query(
          `SELECT (SELECT hardware_info FROM devices WHERE id = $1) AS info,
                  (SELECT count(*)::int FROM parked_messages WHERE token = 'nobody') AS parked`,
          [id],
        );
        return rows[0];
      },
      (r) => r.info !== null && r.parked === 1,
      { what: 'info stored and a message parked with Redis down' },
    );
    const ready = await fetch(`http://127.0.0.1:${ingestor.port}/ready`);
    expect(ready.status).toBe(200);
  });
});
