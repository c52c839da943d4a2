import { Injectable } from '@nestjs/common';
import { PrismaService } from './prisma.service.js';

export interface ExportColumn {
  id: number;
  name: string;
  unit: string;
}

export interface ExportReading {
  at: Date;
  sensorId: number;
  value: number;
}

/** The readings of one device for CSV export, window by window. */
@Injectable()
export class ReadingsExportRepository {
  constructor(private readonly db: PrismaService) {}

  /** The sensors the device has reported, id ascending, and its first and last reading times. */
  async findExportShape(deviceId: number) {
    const { rows: columns } = await this.db.pool.query<ExportColumn>(
      `SELECT s.id, s.name, s.unit FROM device_sensors ds JOIN sensors s ON s.id = ds.sensor_id
        WHERE ds.device_id = $1 ORDER BY s.id`,
      [deviceId],
    );
    const { rows } = await this.db.pool.query<{ first: Date | null; last: Date | null }>(
      `SELECT first_reading_at AS first, last_reading_at AS last FROM devices WHERE id = $1`,
      [deviceId],
    );
    return { columns, first: rows[0]?.first ?? null, last: rows[0]?.last ?? null };
  }

  /**
   * Readings of [from, to) of these sensors in time order, hot or compacted (readings_in). Callers
   * keep the window short (a day):
   * the primary key runs per sensor, so naming the sensors lets each be a range scan of the key,
   * and the time order is a sort of the window's rows only.
   */
  async readWindow(deviceId: number, sensorIds: number[], from: Date, to: Date): Promise<ExportReading[]> {
    const { rows } = await this.db.pool.query<ExportReading>(
      `SELECT r.recorded_at AS at, s.id AS "sensorId", r.value
         FROM unnest($2::int[]) AS s(id)
        CROSS JOIN LATERAL readings_in($1, s.id, $3, $4) r
        ORDER BY r.recorded_at, s.id`,
      [deviceId, sensorIds, from, to],
    );
    return rows;
  }
}
