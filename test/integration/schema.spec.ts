import { beforeAll, expect, it } from 'vitest';
import { createPrismaClient, type PrismaClient } from '#db';
import { useContext } from '../helpers/context.js';

const ctx = useContext();
let prisma: PrismaClient;

beforeAll(() => {
  const client = createPrismaClient({ url: ctx.db.url, poolSize: 2 });
  prisma = client.prisma;
  ctx.defer(async () => {
    await client.prisma.$disconnect();
    await client.pool.end();
  });
});

it('every Prisma model matches its migrated table (schema.prisma cannot drift from the SQL)', async () => {
  // findFirst selects every scalar column of the model: a renamed or missing column fails here.
  const delegates = Object.keys(prisma).filter(
    (key) => !key.startsWith('$') && !key.startsWith('_') && typeof (prisma as never)[key] === 'object',
  );
  expect(delegates.length).toBeGreaterThanOrEqual(7);
  const queried: string[] = [];
  for (const name of delegates) {
    const delegate = (prisma as unknown as Record<string, { findFirst: () => Promise<unknown> }>)[name];
    await delegate.findFirst(); // rejects on any column or table mismatch
    queried.push(name);
  }
  expect(queried).toEqual(
    expect.arrayContaining(['device', 'reading', 'sensor', 'ingestError', 'deviceSensor']),
  );
  const sensors = await prisma.sensor.count();
  expect(sensors).toBe(127);
});

it('seeds the sensor catalogue idempotently and keeps a default readings partition', async () => {
  const { rows } = await ctx.db.sql.query(
    `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'readings'::regclass ORDER BY c.relname`,
  );
  expect(rows.map((r) => r.relname)).toContain('readings_default');
  const { seedSensors } = await import('#db');
  await seedSensors(ctx.db.url);
  const { rows: count } = await ctx.db.sql.query(
    'SELECT count(*)::int AS n, max(updated_at) = min(updated_at) AS same FROM sensors',
  );
  expect(count[0]).toEqual({ n: 127, same: true }); // re-seeding changed no row
});

it('deploying updates catalogue descriptions of rows no admin edited, and keeps the edited ones', async () => {
  const { seedSensors } = await import('#db');
  // An old seeded description, and one an admin wrote (edited_at set by the API).
  await ctx.db.sql.query(
    `UPDATE sensors SET description = 'SENSOR_BATT_PERCENT build flag notes' WHERE id = 10`,
  );
  await ctx.db.sql.query(`UPDATE sensors SET description = 'Our own words', edited_at = now() WHERE id = 14`);
  await seedSensors(ctx.db.url);
  const { rows } = await ctx.db.sql.query(
    `SELECT s.id, s.description, m.name AS measurement FROM sensors s
       LEFT JOIN measurements m ON m.id = s.measurement_id WHERE s.id IN (10, 14, 55) ORDER BY s.id`,
  );
  expect(rows).toEqual([
    { id: 10, description: "Battery, on the kit's data board", measurement: 'battery' },
    { id: 14, description: 'Our own words', measurement: 'light' },
    { id: 55, description: 'Temperature, on the urban sensor board', measurement: 'temperature' },
  ]);
  const { rows: unmeasured } = await ctx.db.sql.query(
    'SELECT count(*)::int AS n FROM sensors WHERE measurement_id IS NULL',
  );
  expect(unmeasured[0].n).toBe(0);
});
