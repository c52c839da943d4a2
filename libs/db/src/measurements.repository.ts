import { Injectable } from '@nestjs/common';
import { Prisma } from './generated/prisma/client.js';
import type { Viewer } from './device-record.js';
import { visibleTo } from './device-conditions.js';
import { PrismaService } from './prisma.service.js';
import type { MeasurementRecord } from './sensor-record.js';

/** A device × sensor pair: the reference's component. */
export interface ComponentRecord {
  id: number;
  deviceId: number;
  sensorId: number;
  sensorName: string;
  createdAt: Date;
}

/** Measurements and components, read-only through the API. */
@Injectable()
export class MeasurementsRepository {
  constructor(private readonly db: PrismaService) {}

  async listMeasurements(page: {
    offset: number;
    limit: number;
  }): Promise<{ total: number; measurements: MeasurementRecord[] }> {
    const [total, measurements] = await this.db.client.$transaction([
      this.db.client.measurement.count(),
      this.db.client.measurement.findMany({ orderBy: { id: 'asc' }, skip: page.offset, take: page.limit }),
    ]);
    return { total, measurements };
  }

  findMeasurement(id: number): Promise<MeasurementRecord | null> {
    return this.db.client.measurement.findUnique({ where: { id } });
  }

  /** Components of unarchived devices the viewer may see, id ascending. */
  async listComponents(
    viewer: Viewer | null,
    page: { offset: number; limit: number },
    deviceId?: number,
  ): Promise<{ total: number; components: ComponentRecord[] }> {
    const where = Prisma.join(
      [
        Prisma.sql`d.archived_at IS NULL`,
        visibleTo(viewer),
        deviceId === undefined ? Prisma.sql`TRUE` : Prisma.sql`ds.device_id = ${deviceId}`,
      ],
      ' AND ',
    );
    const [count] = await this.db.client.$queryRaw<{ total: bigint }[]>`
      SELECT count(*) AS total FROM device_sensors ds JOIN devices d ON d.id = ds.device_id WHERE ${where}`;
    const components = await this.db.client.$queryRaw<ComponentRecord[]>`
      ${SELECT_COMPONENT} WHERE ${where} ORDER BY ds.id LIMIT ${page.limit} OFFSET ${page.offset}`;
    return { total: Number(count.total), components };
  }

  /** The component and whether its device is private and whose; null when unknown or archived. */
  async findComponent(
    id: number,
  ): Promise<(ComponentRecord & { ownerId: number | null; isPrivate: boolean }) | null> {
    const rows = await this.db.client.$queryRaw<
      (ComponentRecord & { ownerId: number | null; isPrivate: boolean })[]
    >`
      SELECT ds.id, ds.device_id AS "deviceId", ds.sensor_id AS "sensorId", s.name AS "sensorName",
             ds.created_at AS "createdAt", d.owner_id AS "ownerId", d.is_private AS "isPrivate"
        FROM device_sensors ds JOIN devices d ON d.id = ds.device_id JOIN sensors s ON s.id = ds.sensor_id
       WHERE ds.id = ${id} AND d.archived_at IS NULL`;
    return rows[0] ?? null;
  }
}

const SELECT_COMPONENT = Prisma.sql`
  SELECT ds.id, ds.device_id AS "deviceId", ds.sensor_id AS "sensorId", s.name AS "sensorName",
         ds.created_at AS "createdAt"
    FROM device_sensors ds JOIN devices d ON d.id = ds.device_id JOIN sensors s ON s.id = ds.sensor_id`;
