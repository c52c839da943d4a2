import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';

/** Monthly partitions of `readings` (see ensure_readings_partition in the initial migration). */
@Injectable()
export class PartitionsRepository {
  constructor(private readonly db: PrismaService) {}

  /** Makes sure the partition of the month holding `at` exists; returns its name. */
  async ensureMonth(at: Date): Promise<string> {
    const rows = await this.db.client.$queryRaw<{ name: string }[]>`
      SELECT ensure_readings_partition(${at.toISOString()}::timestamptz) AS name`;
    return rows[0].name;
  }

  /** First instants (UTC) of the months that have rows in the default partition. */
  async monthsInDefaultPartition(): Promise<Date[]> {
    const rows = await this.db.client.$queryRaw<{ month: Date }[]>`
      SELECT DISTINCT date_trunc('month', recorded_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS month
        FROM readings_default ORDER BY 1`;
    return rows.map((r) => r.month);
  }
}
