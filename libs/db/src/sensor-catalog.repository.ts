import { Injectable } from '@nestjs/common';
import type { Sensor } from './generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';

export interface SensorListQuery {
  nameContains?: string;
  ids?: number[];
  offset: number;
  limit: number;
}

export interface SensorFields {
  name?: string;
  description?: string;
  unit?: string;
  parentId?: number | null;
}

/** The sensor catalogue as the REST API reads and edits it. */
@Injectable()
export class SensorCatalogRepository {
  constructor(private readonly db: PrismaService) {}

  async listSensors(query: SensorListQuery): Promise<{ total: number; sensors: Sensor[] }> {
    const where = {
      ...(query.nameContains !== undefined
        ? { name: { contains: query.nameContains, mode: 'insensitive' as const } }
        : {}),
      ...(query.ids !== undefined ? { id: { in: query.ids } } : {}),
    };
    const [total, sensors] = await this.db.client.$transaction([
      this.db.client.sensor.count({ where }),
      this.db.client.sensor.findMany({
        where,
        orderBy: { id: 'asc' },
        skip: query.offset,
        take: query.limit,
      }),
    ]);
    return { total, sensors };
  }

  findSensor(id: number): Promise<Sensor | null> {
    return this.db.client.sensor.findUnique({ where: { id } });
  }

  /** Every sensor's id and name, for resolving a `sensor_key` (the catalogue is small). */
  listSensorNames(): Promise<{ id: number; name: string }[]> {
    return this.db.client.sensor.findMany({ select: { id: true, name: true }, orderBy: { id: 'asc' } });
  }

  /** Admin writes set `edited_at`, so that deploying the catalogue leaves the row alone. */
  createSensor(fields: SensorFields & { name: string }): Promise<Sensor> {
    return this.db.client.sensor.create({ data: { ...fields, editedAt: new Date() } });
  }

  /** Null when there is no such sensor. */
  async updateSensor(id: number, fields: SensorFields): Promise<Sensor | null> {
    const { count } = await this.db.client.sensor.updateMany({
      where: { id },
      data: { ...fields, updatedAt: new Date(), editedAt: new Date() },
    });
    return count === 0 ? null : this.findSensor(id);
  }
}
