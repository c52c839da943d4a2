import { Injectable } from '@nestjs/common';
import { Prisma } from './generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';

/** Who is asking: private devices are visible to their owner and to admins only. */
export interface Viewer {
  id: number;
  isAdmin: boolean;
}

export const DEVICE_STATES = ['has_published', 'never_published', 'not_configured'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

export interface DeviceRecord {
  id: number;
  uuid: string;
  token: string | null;
  ownerId: number | null;
  ownerUuid: string | null;
  ownerUsername: string | null;
  name: string;
  description: string | null;
  isPrivate: boolean;
  preciseLocation: boolean;
  enableForwarding: boolean;
  latitude: number | null;
  longitude: number | null;
  elevation: number | null;
  exposure: string | null;
  userTags: string[];
  meta: unknown;
  hardwareInfo: unknown;
  lastReadingAt: Date | null;
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

export interface DeviceSensorValue {
  deviceId: number;
  sensorId: number;
  componentId: number;
  name: string;
  description: string;
  unit: string;
  value: number;
  recordedAt: Date;
}

export interface DeviceListQuery {
  viewer: Viewer | null;
  nameContains?: string;
  ids?: number[];
  state?: DeviceState;
  lastReadingAfter?: Date;
  lastReadingBefore?: Date;
  ownerUsername?: string;
  /** Devices carrying any of these user tags. */
  tags?: string[];
  /** Devices within `withinKm` of a point, nearest first. */
  near?: { latitude: number; longitude: number; withinKm: number };
  offset: number;
  limit: number;
}

/** Writable fields; `undefined` leaves a field as it is. */
export interface DeviceFields {
  name?: string;
  description?: string | null;
  token?: string;
  latitude?: number | null;
  longitude?: number | null;
  elevation?: number | null;
  exposure?: 'indoor' | 'outdoor' | null;
  userTags?: string[];
  isPrivate?: boolean;
  preciseLocation?: boolean;
  meta?: Record<string, unknown> | null;
}

/** The token asked for belongs to another device already. */
export class DeviceTokenTakenError extends Error {
  constructor(readonly token: string) {
    super(`device token "${token}" is taken`);
  }
}

const SELECT_DEVICE = Prisma.sql`
  SELECT d.id, d.uuid::text AS "uuid", d.token, d.owner_id AS "ownerId", u.uuid::text AS "ownerUuid",
         u.username AS "ownerUsername", d.name, d.description, d.is_private AS "isPrivate",
         d.precise_location AS "preciseLocation", d.enable_forwarding AS "enableForwarding",
         d.latitude, d.longitude, d.elevation, d.exposure, d.user_tags AS "userTags", d.meta,
         d.hardware_info AS "hardwareInfo", d.last_reading_at AS "lastReadingAt",
         d.archived_at AS "archivedAt", d.created_at AS "createdAt", d.updated_at AS "updatedAt"
    FROM devices d LEFT JOIN users u ON u.id = d.owner_id`;

/** Great-circle distance in km from a point to a device (haversine, mean Earth radius). */
function distanceKm(latitude: number, longitude: number): Prisma.Sql {
  return Prisma.sql`(6371.0088 * 2 * asin(sqrt(
      power(sin(radians(d.latitude - ${latitude}::float8) / 2), 2)
      + cos(radians(${latitude}::float8)) * cos(radians(d.latitude))
        * power(sin(radians(d.longitude - ${longitude}::float8) / 2), 2))))`;
}

/** Devices as the REST API reads and writes them. */
@Injectable()
export class DeviceCatalogRepository {
  constructor(private readonly db: PrismaService) {}

  async listVisibleDevices(query: DeviceListQuery): Promise<{ total: number; devices: DeviceRecord[] }> {
    const where: Prisma.Sql[] = [Prisma.sql`d.archived_at IS NULL`, visibleTo(query.viewer)];
    if (query.nameContains !== undefined) {
      where.push(Prisma.sql`d.name ILIKE ${`%${escapeLike(query.nameContains)}%`}`);
    }
    if (query.ids !== undefined) where.push(Prisma.sql`d.id = ANY(${query.ids}::int[])`);
    if (query.state !== undefined) where.push(stateIs(query.state));
    if (query.lastReadingAfter) where.push(Prisma.sql`d.last_reading_at > ${query.lastReadingAfter}`);
    if (query.lastReadingBefore) where.push(Prisma.sql`d.last_reading_at < ${query.lastReadingBefore}`);
    if (query.ownerUsername !== undefined) where.push(Prisma.sql`u.username = ${query.ownerUsername}`);
    if (query.tags !== undefined) where.push(Prisma.sql`d.user_tags && ${query.tags}::text[]`);
    let orderBy = Prisma.sql`d.id`;
    if (query.near) {
      const distance = distanceKm(query.near.latitude, query.near.longitude);
      where.push(Prisma.sql`d.latitude IS NOT NULL AND d.longitude IS NOT NULL`);
      where.push(Prisma.sql`${distance} <= ${query.near.withinKm}::float8`);
      orderBy = Prisma.sql`${distance}, d.id`;
    }
    const condition = Prisma.join(where, ' AND ');
    const [count] = await this.db.client.$queryRaw<{ total: bigint }[]>`
      SELECT count(*) AS total FROM devices d LEFT JOIN users u ON u.id = d.owner_id WHERE ${condition}`;
    const devices = await this.db.client.$queryRaw<DeviceRecord[]>`
      ${SELECT_DEVICE} WHERE ${condition} ORDER BY ${orderBy} LIMIT ${query.limit} OFFSET ${query.offset}`;
    return { total: Number(count.total), devices };
  }

  /** A device by id; archived ones only when asked for. */
  async findDevice(id: number, { includeArchived = false } = {}): Promise<DeviceRecord | null> {
    const archived = includeArchived ? Prisma.empty : Prisma.sql`AND d.archived_at IS NULL`;
    const rows = await this.db.client.$queryRaw<DeviceRecord[]>`
      ${SELECT_DEVICE} WHERE d.id = ${id} ${archived}`;
    return rows[0] ?? null;
  }

  /**
   * The latest value of every sensor the devices have reported: the newest `readings` row of each
   * pair. `readings` is partitioned by month, so an unbounded "newest row" probes every partition.
   * A sensor's newest reading is almost always within days of its device's last reading
   * (`devices.last_reading_at`, moved in the same statement as the readings), so the 7 days before
   * it are searched first, which prunes all but the latest partitions; only pairs silent for longer
   * fall back to the full search. Measured on 69 M rows in 25 partitions, 100 devices × 12 sensors
   * with 30 pairs silent for months: 14–16 ms warm (63–75 ms cold), against 190 ms warm unbounded.
   * A pair silent for longer than the compaction horizon has its newest reading in readings_compact
   * (the last element of its newest day); the newer of that and the newest row wins.
   */
  async findLatestSensorValues(deviceIds: number[]): Promise<DeviceSensorValue[]> {
    if (deviceIds.length === 0) return [];
    return this.db.client.$queryRaw<DeviceSensorValue[]>`
      SELECT ds.device_id AS "deviceId", ds.sensor_id AS "sensorId", ds.id AS "componentId", s.name,
             s.description, s.unit, coalesce(recent.value, older.value) AS value,
             coalesce(recent.recorded_at, older.recorded_at) AS "recordedAt"
        FROM device_sensors ds
        JOIN sensors s ON s.id = ds.sensor_id
        JOIN devices d ON d.id = ds.device_id
        LEFT JOIN LATERAL (
          SELECT r.value, r.recorded_at FROM readings r
           WHERE r.device_id = ds.device_id AND r.sensor_id = ds.sensor_id
             AND r.recorded_at >= d.last_reading_at - interval '7 days'
           ORDER BY r.recorded_at DESC LIMIT 1) recent ON true
        LEFT JOIN LATERAL (
          SELECT o.value, o.recorded_at FROM (
            (SELECT r.value, r.recorded_at FROM readings r
              WHERE r.device_id = ds.device_id AND r.sensor_id = ds.sensor_id
              ORDER BY r.recorded_at DESC LIMIT 1)
            UNION ALL
            (SELECT c.vals[cardinality(c.vals)],
                    c.day_start + c.offsets_us[cardinality(c.offsets_us)] * interval '1 microsecond'
               FROM readings_compact c
              WHERE c.device_id = ds.device_id AND c.sensor_id = ds.sensor_id
              ORDER BY c.day_start DESC LIMIT 1)) o
           WHERE recent.recorded_at IS NULL
           ORDER BY o.recorded_at DESC LIMIT 1) older ON true
       WHERE ds.device_id = ANY(${deviceIds}::int[])
         AND coalesce(recent.recorded_at, older.recorded_at) IS NOT NULL
       ORDER BY ds.device_id, s.name, s.id`;
  }

  /** @throws DeviceTokenTakenError */
  async registerDevice(
    ownerId: number,
    fields: DeviceFields & { name: string; token: string },
  ): Promise<DeviceRecord> {
    const created = await this.translateTokenConflict(fields.token, () =>
      this.db.client.device.create({ data: { ...toColumns(fields), name: fields.name, ownerId } }),
    );
    return (await this.findDevice(created.id))!;
  }

  /** @throws DeviceTokenTakenError */
  async updateDevice(id: number, fields: DeviceFields, unarchive = false): Promise<DeviceRecord> {
    await this.translateTokenConflict(fields.token, () =>
      this.db.client.device.update({
        where: { id },
        data: { ...toColumns(fields), ...(unarchive ? { archivedAt: null } : {}), updatedAt: new Date() },
      }),
    );
    return (await this.findDevice(id))!;
  }

  async archiveDevice(id: number): Promise<void> {
    await this.db.client.device.update({
      where: { id },
      data: { archivedAt: new Date(), updatedAt: new Date() },
    });
  }

  private async translateTokenConflict<T>(token: string | undefined, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (token !== undefined && (error as { code?: string }).code === 'P2002') {
        throw new DeviceTokenTakenError(token);
      }
      throw error;
    }
  }
}

function visibleTo(viewer: Viewer | null): Prisma.Sql {
  if (viewer?.isAdmin) return Prisma.sql`TRUE`;
  if (viewer) return Prisma.sql`(NOT d.is_private OR d.owner_id = ${viewer.id})`;
  return Prisma.sql`NOT d.is_private`;
}

function stateIs(state: DeviceState): Prisma.Sql {
  switch (state) {
    case 'has_published':
      return Prisma.sql`d.last_reading_at IS NOT NULL`;
    case 'never_published':
      return Prisma.sql`(d.last_reading_at IS NULL AND d.token IS NOT NULL)`;
    case 'not_configured':
      return Prisma.sql`(d.last_reading_at IS NULL AND d.token IS NULL)`;
  }
}

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

function toColumns(fields: DeviceFields) {
  return {
    name: fields.name,
    description: fields.description,
    token: fields.token,
    latitude: fields.latitude,
    longitude: fields.longitude,
    elevation: fields.elevation,
    exposure: fields.exposure,
    userTags: fields.userTags,
    isPrivate: fields.isPrivate,
    preciseLocation: fields.preciseLocation,
    meta: fields.meta === null ? Prisma.DbNull : (fields.meta as Prisma.InputJsonValue | undefined),
  };
}
