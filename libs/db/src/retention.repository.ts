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
    return this.purgeOlderThan('ingest_errors', 'created_at', cutoff);
  }

  /** Deletes device_inventory reports received before `cutoff`; returns how many. */
  purgeInventory(cutoff: Date): Promise<number> {
    return this.purgeOlderThan('device_inventory', 'received_at', cutoff);
  }

  /** Deletes kits in setup (orphan devices) created before `cutoff`; returns how many. */
  purgeOrphans(cutoff: Date): Promise<number> {
    return this.purgeOlderThan('orphan_devices', 'created_at', cutoff);
  }

  /** `table` and `column` are this class's own constants, never input. */
  private purgeOlderThan(table: string, column: string, cutoff: Date): Promise<number> {
    return this.inChunks(async () => {
      const rows = await this.db.client.$queryRawUnsafe<{ n: number }[]>(
        `WITH gone AS (
           DELETE FROM ${table} WHERE id IN (
             SELECT id FROM ${table} WHERE ${column} < $1::timestamptz LIMIT ${PURGE_CHUNK})
           RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        cutoff.toISOString(),
      );
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
