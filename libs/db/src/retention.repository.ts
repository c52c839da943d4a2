import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';

/** Rows deleted per statement, so a large purge never holds long locks or one huge transaction. */
const PURGE_CHUNK = 5000;

/** Age-based retention of the tables hostile or unknown traffic can grow (docs/hostile-input.md). */
@Injectable()
export class RetentionRepository {
  constructor(private readonly db: PrismaService) {}

  /** Deletes ingest_errors rows created before `cutoff`; returns how many. */
  purgeIngestErrors(cutoff: Date): Promise<number> {
    return this.inChunks(async () => {
      const rows = await this.db.client.$queryRaw<{ n: number }[]>`
        WITH gone AS (
          DELETE FROM ingest_errors WHERE id IN (
            SELECT id FROM ingest_errors WHERE created_at < ${cutoff.toISOString()}::timestamptz
             LIMIT ${PURGE_CHUNK})
          RETURNING 1)
        SELECT count(*)::int AS n FROM gone`;
      return rows[0]?.n ?? 0;
    });
  }

  /** Deletes device_inventory reports received before `cutoff`; returns how many. */
  purgeInventory(cutoff: Date): Promise<number> {
    return this.inChunks(async () => {
      const rows = await this.db.client.$queryRaw<{ n: number }[]>`
        WITH gone AS (
          DELETE FROM device_inventory WHERE id IN (
            SELECT id FROM device_inventory WHERE received_at < ${cutoff.toISOString()}::timestamptz
             LIMIT ${PURGE_CHUNK})
          RETURNING 1)
        SELECT count(*)::int AS n FROM gone`;
      return rows[0]?.n ?? 0;
    });
  }

  private async inChunks(chunk: () => Promise<number>): Promise<number> {
    let total = 0;
    for (;;) {
      const n = await chunk();
      total += n;
      if (n < PURGE_CHUNK) return total;
    }
  }
}
