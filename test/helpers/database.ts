import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEMPLATE_DATABASE, TEST_DATABASE_PREFIX, databaseUrl, withAdmin } from './env.js';
import { DevicesRepository, PrismaService } from '../../libs/db/src/index.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** A plain pg pool for assertions on stored rows. */
  sql: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template: cheap, isolated, real Postgres. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(5).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`));
  const url = databaseUrl(name);
  const sql = new pg.Pool({ connectionString: url, max: 2 });
  // DROP DATABASE … WITH (FORCE) ends idle clients; that is expected, not a test failure.
  sql.on('error', () => undefined);
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** Inserts a device the way `device:create` does, returning its id. */
export async function newDevice(db: TestDatabase, token: string, name = `kit ${token}`): Promise<number> {
  const { rows } = await db.sql.query<{ id: number }>(
    'INSERT INTO devices (token, name) VALUES ($1, $2) RETURNING id',
    [token, name],
  );
  return rows[0].id;
}

/** The devices' latest value per sensor as the API reads them (DevicesRepository). */
export async function apiLatestValues(db: TestDatabase, deviceIds: number[]) {
  const prisma = new PrismaService({ url: db.url, poolSize: 1 });
  try {
    return await new DevicesRepository(prisma).findLatestSensorValues(deviceIds);
  } finally {
    await prisma.onModuleDestroy();
  }
}

/** One device's latest values as `[sensor id, value, ISO instant]` rows ordered by sensor id. */
export async function latestSensorValues(
  db: TestDatabase,
  deviceId: number,
): Promise<[number, number, string][]> {
  return (await apiLatestValues(db, [deviceId]))
    .map((v): [number, number, string] => [v.sensorId, v.value, v.recordedAt.toISOString()])
    .sort((a, b) => a[0] - b[0]);
}
