import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.js';

export { PrismaClient };

export interface DbOptions {
  url: string;
  poolSize: number;
  /** Batches also write their inserted readings to live_outbox (live readings, docs/live.md). */
  liveOutbox?: boolean;
}

/** One pg.Pool shared by Prisma (through the driver adapter) and the readings rollup (ReadingsQueryRepository). */
export function createPrismaClient(options: DbOptions): { prisma: PrismaClient; pool: pg.Pool } {
  const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { prisma, pool };
}
