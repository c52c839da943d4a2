import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';

/** The database as the readiness probes and the metrics see it. */
@Injectable()
export class HealthRepository {
  constructor(private readonly db: PrismaService) {}

  /** Resolves when PostgreSQL answers a query; rejects with the driver's error otherwise. */
  async ping(): Promise<void> {
    await this.db.client.$queryRaw`SELECT 1`;
  }

  /** The connections of the process's pool, by state (`waiting`: callers queued for one). */
  poolConnections(): { total: number; idle: number; waiting: number } {
    const { totalCount, idleCount, waitingCount } = this.db.pool;
    return { total: totalCount, idle: idleCount, waiting: waitingCount };
  }
}
