import { Injectable } from '@nestjs/common';
import type { Viewer } from './device-record.js';
import { PrismaService } from './prisma.service.js';

/** What the world map shows of a device. */
export interface WorldMapDevice {
  id: number;
  name: string;
  description: string | null;
  token: string | null;
  exposure: string | null;
  latitude: number;
  longitude: number;
  city: string | null;
  countryCode: string | null;
  userTags: string[];
  hwVer: string | null;
  lastReadingAt: Date;
  createdAt: Date;
}

@Injectable()
export class WorldMapRepository {
  constructor(private readonly db: PrismaService) {}

  /**
   * Every device with a location that has published, unarchived, visible to `viewer` (null: the
   * public). One statement on the pg pool: the whole fleet in one answer.
   */
  async listWorldMapDevices(viewer: Viewer | null): Promise<WorldMapDevice[]> {
    const visible = viewer?.isAdmin
      ? 'TRUE'
      : viewer
        ? '(NOT is_private OR owner_id = $1)'
        : 'NOT is_private';
    const { rows } = await this.db.pool.query<WorldMapDevice>(
      `SELECT id, name, description, token, exposure, latitude, longitude, city,
              country_code AS "countryCode", user_tags AS "userTags",
              CASE WHEN jsonb_typeof(hardware_info -> 'hw_ver') = 'string' THEN hardware_info ->> 'hw_ver' END AS "hwVer",
              last_reading_at AS "lastReadingAt", created_at AS "createdAt"
         FROM devices
        WHERE archived_at IS NULL AND latitude IS NOT NULL AND longitude IS NOT NULL
          AND last_reading_at IS NOT NULL AND ${visible}
        ORDER BY id`,
      viewer && !viewer.isAdmin ? [viewer.id] : [],
    );
    return rows;
  }
}
