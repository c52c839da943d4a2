import type { TestDatabase } from '../../tools/harness/database.js';
import { DevicesRepository, PrismaService } from '../../libs/db/src/index.js';

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
