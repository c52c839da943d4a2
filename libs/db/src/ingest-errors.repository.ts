import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';

/** A recorded rejection as the REST API lists it. */
export interface StoredIngestError {
  id: number;
  reason: string;
  message: string;
  topic: string;
  item: unknown;
  /** The prefix of the payload that was kept, in base64 (the bytes are not text); null when none was. */
  payloadBase64: string | null;
  createdAt: Date;
}

/** Rejections recorded by the ingestor, as the REST API lists them. */
@Injectable()
export class IngestErrorsRepository {
  constructor(private readonly db: PrismaService) {}

  /** A device's rejections, newest first (the (device_id, created_at DESC) index). */
  async listDeviceIngestErrors(
    deviceId: number,
    page: { offset: number; limit: number },
  ): Promise<{ total: number; errors: StoredIngestError[] }> {
    const where = { deviceId };
    const [total, rows] = await this.db.client.$transaction([
      this.db.client.ingestError.count({ where }),
      this.db.client.ingestError.findMany({
        where,
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        skip: page.offset,
        take: page.limit,
      }),
    ]);
    const errors = rows.map((e) => ({
      id: Number(e.id),
      reason: e.reason,
      message: e.message,
      topic: e.topic,
      item: e.item,
      payloadBase64: e.payload ? Buffer.from(e.payload).toString('base64') : null,
      createdAt: e.createdAt,
    }));
    return { total, errors };
  }
}
