import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';
import type { SensorFields, SensorListQuery, SensorRecord } from './sensor-record.js';

const withMeasurement = { measurement: true } as const;

/** The sensor catalogue: read by the ingestor's checks, read and edited through the REST API. */
@Injectable()
export class SensorsRepository {
  constructor(private readonly db: PrismaService) {}

  /** Every sensor id, ascending (the ids readings are checked against). */
  async listSensorIds(): Promise<number[]> {
    const rows = await this.db.client.sensor.findMany({ select: { id: true }, orderBy: { id: 'asc' } });
    return rows.map((r) => r.id);
  }

  async listSensors(query: SensorListQuery): Promise<{ total: number; sensors: SensorRecord[] }> {
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

  findSensor(id: number): Promise<SensorRecord | null> {
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
  createSensor(fields: SensorFields & { name: string }): Promise<SensorRecord> {
    return this.db.client.sensor.create({
      data: { ...fields, editedAt: new Date() },
      include: withMeasurement,
    });
  }

  /** Null when there is no such sensor. */
  async updateSensor(id: number, fields: SensorFields): Promise<SensorRecord | null> {
    const { count } = await this.db.client.sensor.updateMany({
      where: { id },
      data: { ...fields, updatedAt: new Date(), editedAt: new Date() },
    });
    return count === 0 ? null : this.findSensor(id);
  }
}
