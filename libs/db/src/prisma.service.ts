import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type pg from 'pg';
import { createPrismaClient, type DbOptions, type PrismaClient } from './client.js';

export const DB_OPTIONS = Symbol('DB_OPTIONS');

/** The process's one Prisma client and the pg.Pool behind it. */
@Injectable()
export class PrismaService implements OnModuleDestroy {
  readonly client: PrismaClient;
  readonly pool: pg.Pool;

  constructor(@Inject(DB_OPTIONS) readonly options: DbOptions) {
    const { prisma, pool } = createPrismaClient(options);
    this.client = prisma;
    this.pool = pool;
  }

  async onModuleDestroy(): Promise<void> {
    await this.client.$disconnect();
    await this.pool.end().catch(() => undefined);
  }
}
