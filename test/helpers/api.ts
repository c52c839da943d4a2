import {
  IngestRepository,
  PrismaService,
  type StoredReading,
  type UserRole,
  UsersRepository,
  generateApiToken,
  hashApiToken,
} from '../../libs/db/src/index.js';
import type { TestDatabase } from '../../tools/harness/database.js';

/** The data layer of the app, outside Nest, for factories that write through the real repositories. */
export function testDataLayer(db: TestDatabase) {
  const prisma = new PrismaService({ url: db.url, poolSize: 2 });
  const ingest = new IngestRepository(prisma);
  const users = new UsersRepository(prisma);
  return {
    /** A user with a fresh API token, created as `npm run user:create` does. */
    async newUser(username: string, role: UserRole = 'citizen') {
      const token = generateApiToken();
      const user = await users.createUserWithToken({
        username,
        role,
        tokenHash: hashApiToken(token),
      });
      return { ...user, token };
    },
    /** Readings stored the way the ingestor stores them (latest values and times included). */
    async storeReadings(readings: StoredReading[]) {
      await ingest.storeBatch({ readings, errors: [] });
    },
    ingest,
    close: () => prisma.onModuleDestroy(),
  };
}
