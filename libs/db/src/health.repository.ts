import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';

/** The readiness probes' view of the database. */
@Injectable()
export class HealthRepository {
  constructor(private readonly db: PrismaService) {}

  /** Resolves when PostgreSQL answers a query; rejects with the driver's error otherwise. */
  async ping(): Promise<void> {
    await this.db.client.$queryRaw`SELECT 1`;
  }
}
