import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IngestRepository, PrismaService } from '../../libs/db/src/index.js';
import { createTestDatabase, latestSensorValues, newDevice, type TestDatabase } from '../helpers/database.js';

let db: TestDatabase;
let prisma: PrismaService;
let repository: IngestRepository;

beforeAll(async () => {
  db = await createTestDatabase();
  prisma = new PrismaService({ url: db.url, poolSize: 2 });
  repository = new IngestRepository(prisma);
});

afterAll(async () => {
  await prisma?.onModuleDestroy();
  await db?.drop();
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
    expect((await db.sql.query('SELECT count(*)::int AS n FROM readings')).rows[0].n).toBe(0);

    await db.sql.query(`INSERT INTO devices (id, token, name) VALUES (900001, 'pair01', 'kit pair01')`);
    // Had the failed batch's pair been remembered, this one would skip it and the API would not
    // show the sensor.
    await repository.storeBatch({ readings: [reading(900_001)], errors: [] });
    expect(await latestSensorValues(db, 900_001)).toEqual([[55, 21.5, new Date(at).toISOString()]]);

    // A later batch with a known and a new pair: both readings stored, the new pair added.
    const other = await newDevice(db, 'pair02');
    await repository.storeBatch({ readings: [reading(900_001, at + 60_000), reading(other)], errors: [] });
    const { rows } = await db.sql.query('SELECT device_id FROM device_sensors ORDER BY device_id');
    expect(rows.map((r) => r.device_id)).toEqual([other, 900_001].sort((a, b) => a - b));
    expect(await latestSensorValues(db, 900_001)).toEqual([[55, 21.5, new Date(at + 60_000).toISOString()]]);
  });
});
