import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient } from './generated/prisma/client.js';

export { PrismaClient };

export interface DbOptions {
  url: string;
  poolSize: number;
  /** PostgreSQL cancels any statement of this pool running longer (statement_timeout); unset: no limit. */
  statementTimeoutMs?: number;
  /**
   * Parallel workers one statement may use (max_parallel_workers_per_gather); the API sets 0 so a
   * few heavy rollups cannot take every core from the cheap requests.
   */
  parallelWorkersPerQuery?: number;
  /** Batches also write their inserted readings to live_outbox (live readings, docs/live.md). */
  liveOutbox?: boolean;
}

/** SQLSTATE of a statement cancelled by statement_timeout (query_canceled). */
export const QUERY_CANCELED = '57014';

/** One pg.Pool shared by Prisma (through the driver adapter) and the readings rollup (ReadingsQueryRepository). */
export function createPrismaClient(options: DbOptions): { prisma: PrismaClient; pool: pg.Pool } {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize,
    ...(options.statementTimeoutMs ? { statement_timeout: options.statementTimeoutMs } : {}),
    ...(options.parallelWorkersPerQuery !== undefined
      ? { options: `-c max_parallel_workers_per_gather=${options.parallelWorkersPerQuery}` }
      : {}),
  });
  // An idle client that loses its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
  return { prisma, pool };
}
