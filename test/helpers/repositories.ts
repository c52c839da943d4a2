import {
  DevicesRepository,
  IngestRepository,
  PrismaService,
  type StoredReading,
  type UserRole,
  UsersRepository,
  generateApiToken,
  hashApiToken,
} from '#db';
import { generateDeviceToken } from '#domain';

/**
 * Test data through the data layer's repositories: factories that write as the apps and the
 * scripts do, and the reads tests compare against what the API shows. Specs that test a
 * repository itself name it; every other spec reaches the data layer through here.
 */
export interface TestData {
  prisma: PrismaService;
  ingest: IngestRepository;
  /** A device registered as `npm run device:create` does (a generated token unless given). */
  newDevice(device?: { token?: string; name?: string; ownerId?: number | null }): Promise<TestDevice>;
  /** A user with a fresh API token, created as `npm run user:create` does. */
  newUser(username: string, role?: UserRole): Promise<TestUser>;
  /** Readings stored the way the ingestor stores them (latest values and times included). */
  storeReadings(readings: StoredReading[]): Promise<void>;
  /** One device's latest values, as the API reads them: `[sensor id, value, ISO instant]` by sensor id. */
  latestSensorValues(deviceId: number): Promise<[number, number, string][]>;
  close(): Promise<void>;
}

export interface TestDevice {
  id: number;
  token: string;
  name: string;
}

export interface TestUser {
  id: number;
  uuid: string;
  username: string;
  role: UserRole;
  /** The user's API token in clear, for `Authorization: Bearer`. */
  token: string;
}

export function testData(databaseUrl: string): TestData {
  const prisma = new PrismaService({ url: databaseUrl, poolSize: 2 });
  const devices = new DevicesRepository(prisma);
  const users = new UsersRepository(prisma);
  const ingest = new IngestRepository(prisma);
  return {
    prisma,
    ingest,
    async newDevice({ token = generateDeviceToken('default'), name = `kit ${token}`, ownerId = null } = {}) {
      const created = await devices.createDevice({ token, name, ownerId });
      return { id: created.id, token, name };
    },
    async newUser(username, role = 'citizen') {
      const token = generateApiToken();
      const user = await users.createUserWithToken({
        username,
        role,
        tokenHash: hashApiToken(token),
      });
      return { ...user, token };
    },
    async storeReadings(readings) {
      await ingest.storeBatch({ readings, errors: [] });
    },
    async latestSensorValues(deviceId) {
      return (await devices.findLatestSensorValues([deviceId]))
        .map((v): [number, number, string] => [v.sensorId, v.value, v.recordedAt.toISOString()])
        .sort((a, b) => a[0] - b[0]);
    },
    close: () => prisma.onModuleDestroy(),
  };
}

export interface IngestWriter {
  prisma: PrismaService;
  ingest: IngestRepository;
  close(): Promise<void>;
}

/** An ingestor's database side on a pool of its own (`liveOutbox`: its batches feed the live outputs). */
export function ingestWriter(databaseUrl: string, { liveOutbox = false } = {}): IngestWriter {
  const prisma = new PrismaService({ url: databaseUrl, poolSize: 2, liveOutbox });
  return { prisma, ingest: new IngestRepository(prisma), close: () => prisma.onModuleDestroy() };
}

/** Several devices' latest value per sensor as the API reads them, on a connection of its own. */
export async function apiLatestValues(databaseUrl: string, deviceIds: number[]) {
  const prisma = new PrismaService({ url: databaseUrl, poolSize: 1 });
  try {
    return await new DevicesRepository(prisma).findLatestSensorValues(deviceIds);
  } finally {
    await prisma.onModuleDestroy();
  }
}
