import { Injectable } from '@nestjs/common';
import type { Measurement, Sensor } from './generated/prisma/client.js';
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
  measurementId?: number | null;
  datasheet?: string | null;
  unitDefinition?: string | null;
  tags?: string[];
}

/** A catalogue sensor with what it measures. */
export type CatalogueSensor = Sensor & { measurement: Measurement | null };

const withMeasurement = { measurement: true } as const;

/** The sensor catalogue as the REST API reads and edits it. */
@Injectable()
export class SensorCatalogRepository {
  constructor(private readonly db: PrismaService) {}

  async listSensors(query: SensorListQuery): Promise<{ total: number; sensors: CatalogueSensor[] }> {
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
        include: withMeasurement,
        skip: query.offset,
        take: query.limit,
      }),
    ]);
    return { total, sensors };
  }

  findSensor(id: number): Promise<CatalogueSensor | null> {
    return this.db.client.sensor.findUnique({ where: { id }, include: withMeasurement });
  }

  async measurementExists(id: number): Promise<boolean> {
    return (await this.db.client.measurement.count({ where: { id } })) > 0;
  }

  /** Every sensor's id and name, for resolving a `sensor_key` (the catalogue is small). */
  listSensorNames(): Promise<{ id: number; name: string }[]> {
    return this.db.client.sensor.findMany({ select: { id: true, name: true }, orderBy: { id: 'asc' } });
  }

  /** Admin writes set `edited_at`, so that deploying the catalogue leaves the row alone. */
  createSensor(fields: SensorFields & { name: string }): Promise<CatalogueSensor> {
    return this.db.client.sensor.create({
      data: { ...fields, editedAt: new Date() },
      include: withMeasurement,
    });
  }

  /** Null when there is no such sensor. */
  async updateSensor(id: number, fields: SensorFields): Promise<CatalogueSensor | null> {
    const { count } = await this.db.client.sensor.updateMany({
      where: { id },
      data: { ...fields, updatedAt: new Date(), editedAt: new Date() },
    });
    return count === 0 ? null : this.findSensor(id);
  }
}
