import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';

@Injectable()
export class SensorsRepository {
  constructor(private readonly db: PrismaService) {}

  async listSensorIds(): Promise<number[]> {
    const rows = await this.db.client.sensor.findMany({ select: { id: true }, orderBy: { id: 'asc' } });
    return rows.map((r) => r.id);
  }
}
