import { Injectable } from '@nestjs/common';
import type { IngestError } from './generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';

/** Rejections recorded by the ingestor, as the REST API lists them. */
@Injectable()
export class IngestErrorsRepository {
  constructor(private readonly db: PrismaService) {}

  /** A device's rejections, newest first (the (device_id, created_at DESC) index). */
  async listDeviceIngestErrors(
    deviceId: number,
    page: { offset: number; limit: number },
  ): Promise<{ total: number; errors: IngestError[] }> {
    const where = { deviceId };
    const [total, errors] = await this.db.client.$transaction([
      this.db.client.ingestError.count({ where }),
      this.db.client.ingestError.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        skip: page.offset,
        take: page.limit,
      }),
    ]);
    return { total, errors };
  }
}
