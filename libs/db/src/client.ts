import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.js';

export { PrismaClient };

export interface DbOptions {
  url: string;
  poolSize: number;
  /** PostgreSQL cancels any statement of this pool running longer (statement_timeout); unset: no limit. */
  statementTimeoutMs?: number;
}

/** SQLSTATE of a statement cancelled by statement_timeout (query_canceled). */
export const QUERY_CANCELED = '57014';

/** One pg.Pool shared by Prisma (through the driver adapter) and the readings rollup (ReadingsQueryRepository). */
export function createPrismaClient(options: DbOptions): { prisma: PrismaClient; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { prisma, pool };
}
