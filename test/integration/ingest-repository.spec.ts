import { beforeAll, describe, expect, it } from 'vitest';
import { type BatchWrite, IngestRepository, type LifecycleWrite, PrismaService } from '#db';
import { useContext } from '../helpers/context.js';

const ctx = useContext();
let prisma: PrismaService;
let repository: IngestRepository;

beforeAll(() => {
  prisma = new PrismaService({ url: ctx.db.url, poolSize: 2 });
  ctx.defer(() => prisma.onModuleDestroy());
  repository = new IngestRepository(prisma);
});

describe('IngestRepository: device × sensor pairs', () => {
  it('records a pair once it is stored, and sends it again after a batch that failed', async () => {
    const at = Date.UTC(2025, 2, 1, 12);
    const reading = (deviceId: number, recordedAt = at) => ({
      deviceId,
      sensorId: 55,
      recordedAt,
      value: 21.5,
    });
    // No device 900001 yet: the pair's foreign key fails the whole statement.
    await expect(repository.storeBatch({ readings: [reading(900_001)], errors: [] })).rejects.toThrow();
    expect((await ctx.db.sql.query('SELECT count(*)::int AS n FROM readings')).rows[0].n).toBe(0);

    await ctx.db.sql.query(`INSERT INTO devices (id, token, name) VALUES (900001, 'pair01', 'kit pair01')`);
    // Had the failed batch's pair been remembered, this one would skip it and the API would not
    // show the sensor.
    await repository.storeBatch({ readings: [reading(900_001)], errors: [] });
    expect(await ctx.data.latestSensorValues(900_001)).toEqual([[55, 21.5, new Date(at).toISOString()]]);

    // A later batch with a known and a new pair: both readings stored, the new pair added.
    const other = (await ctx.newDevice('pair02')).id;
    await repository.storeBatch({ readings: [reading(900_001, at + 60_000), reading(other)], errors: [] });
    const { rows } = await ctx.db.sql.query('SELECT device_id FROM device_sensors ORDER BY device_id');
    expect(rows.map((r) => r.device_id)).toEqual([other, 900_001].sort((a, b) => a - b));
    expect(await ctx.data.latestSensorValues(900_001)).toEqual([
      [55, 21.5, new Date(at + 60_000).toISOString()],
    ]);
  });
});

describe('IngestRepository: concurrent batches', () => {
  /** 40 new devices, tokens `<prefix>00`…`<prefix>39`. */
  async function devices(prefix: string): Promise<number[]> {
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push((await ctx.newDevice(`${prefix}${String(i).padStart(2, '0')}`)).id);
    return ids;
  }

  const lifecycle = (parts: Partial<LifecycleWrite>): LifecycleWrite => ({
    replayedParkedIds: [],
    hellos: [],
    infos: [],
    inventory: [],
    parked: [],
    parkLimits: { perToken: 10, total: 100 },
    payloadPrefixBytes: 1024,
    ...parts,
  });

  /** 20 rounds of batches 0 and 1 written at the same time; the errors of those that failed. */
  async function race(batch: (k: 0 | 1, round: number) => BatchWrite): Promise<string[]> {
    const failures: string[] = [];
    for (let round = 0; round < 20; round++) {
      const results = await Promise.allSettled([
        repository.storeBatch(batch(0, round)),
        repository.storeBatch(batch(1, round)),
      ]);
      for (const r of results) if (r.status === 'rejected') failures.push(String(r.reason));
    }
    return failures;
  }

  const countDevices = async (ids: number[], where: string) =>
    (
      await ctx.db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM devices WHERE id = ANY($1::int[]) AND ${where}`,
        [ids],
      )
    ).rows[0].n;

  it('two batches whose hellos touch each other’s devices do not deadlock', async () => {
    // Each batch updates the reading times of its own devices and the hello time of the other
    // batch's devices. Without one lock order over all the devices a batch changes, batch A could
    // hold a device B's hello waits for while waiting for a device B holds: Postgres aborts one
    // of them as a deadlock after deadlock_timeout (1 s), and the batch has to be retried.
    const ids = await devices('race');
    const mine = (k: 0 | 1) => (k === 0 ? ids.slice(0, 20) : ids.slice(20));
    const at = (round: number) => Date.UTC(2025, 3, 1) + round * 60_000;
    const failures = await race((k, round) => ({
      readings: mine(k).map((deviceId) => ({ deviceId, sensorId: 55, recordedAt: at(round), value: round })),
      errors: [],
      // Reversed, so each batch's hellos run against the other's lock order.
      lifecycle: lifecycle({
        hellos: mine(k === 0 ? 1 : 0)
          .reverse()
          .map((deviceId) => ({ deviceId, at: new Date(at(round)) })),
      }),
    }));
    expect(failures).toEqual([]);
    expect(await countDevices(ids, 'hello_at IS NOT NULL')).toBe(ids.length);
  }, 60_000);

  it('batches of hellos and infos alone, crossing each other, do not deadlock', async () => {
    // Batch 0 says hello for the lower half and carries infos of the upper half; batch 1 the other
    // way round. Each batch's hello statement runs before its info statement.
    const ids = await devices('solo');
    const at = (round: number) => new Date(Date.UTC(2025, 4, 1) + round * 60_000);
    const failures = await race((k, round) => {
      const [hello, info] = k === 0 ? [ids.slice(0, 20), ids.slice(20)] : [ids.slice(20), ids.slice(0, 20)];
      return {
        readings: [],
        errors: [],
        lifecycle: lifecycle({
          hellos: hello.map((deviceId) => ({ deviceId, at: at(round) })),
          infos: info.map((deviceId) => ({ deviceId, info: { round }, at: at(round) })),
        }),
      };
    });
    expect(failures).toEqual([]);
    // Every device got a hello and an info (the last round's, from one batch or the other).
    expect(await countDevices(ids, 'hello_at IS NOT NULL AND hardware_info IS NOT NULL')).toBe(ids.length);
  }, 60_000);
});
