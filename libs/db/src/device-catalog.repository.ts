import { Injectable } from '@nestjs/common';
import { Prisma } from './generated/prisma/client.js';
import {
  type DeviceRecord,
  type DeviceSensorValue,
  MEASUREMENT_JSON,
  SELECT_DEVICE,
} from './device-record.js';
import { distanceKm, escapeLike, stateIs, visibleTo } from './device-conditions.js';
import { PrismaService } from './prisma.service.js';

export type { DeviceRecord, DeviceSensorValue, SensorMeasurement } from './device-record.js';

/** Who is asking: private devices are visible to their owner and to admins only. */
export interface Viewer {
  id: number;
  isAdmin: boolean;
}

export const DEVICE_STATES = ['has_published', 'never_published', 'not_configured'] as const;
export type DeviceState = (typeof DEVICE_STATES)[number];

export interface DeviceListQuery {
  viewer: Viewer | null;
  nameContains?: string;
  ids?: number[];
  state?: DeviceState;
  lastReadingAfter?: Date;
  lastReadingBefore?: Date;
  ownerUsername?: string;
  nameEquals?: string;
  createdAfter?: Date;
  createdBefore?: Date;
  ownerId?: number;
  /** Devices carrying all of these user tags. */
  tagsAll?: string[];
  /** Devices carrying any of these user tags (both `tags` and `tagsAny` apply when given). */
  tagsAny?: string[];
  /** Devices with (true) or without (false) post-processing settings. */
  hasPostprocessing?: boolean;
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
  /** Forward stored batches to the owner's forward topic (researchers and admins only). */
  enableForwarding?: boolean;
  notifyStoppedPublishing?: boolean;
  notifyLowBattery?: boolean;
  city?: string | null;
  countryCode?: string | null;
  meta?: Record<string, unknown> | null;
  /** Replaces the post-processing settings; null removes them. */
  postprocessing?: PostprocessingFields | null;
}

export interface PostprocessingFields {
  blueprintUrl?: string | null;
  hardwareUrl?: string | null;
  forwardingParams?: number | null;
  meta?: string | null;
  latestPostprocessing?: Date | null;
}

/** The token asked for belongs to another device already. */
export class DeviceTokenTakenError extends Error {
  constructor(readonly token: string) {
    super(`device token "${token}" is taken`);
  }
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
    if (query.nameEquals !== undefined) where.push(Prisma.sql`d.name = ${query.nameEquals}`);
    if (query.createdAfter) where.push(Prisma.sql`d.created_at > ${query.createdAfter}`);
    if (query.createdBefore) where.push(Prisma.sql`d.created_at < ${query.createdBefore}`);
    if (query.ownerId !== undefined) where.push(Prisma.sql`d.owner_id = ${query.ownerId}`);
    if (query.tagsAll !== undefined) where.push(Prisma.sql`d.user_tags @> ${query.tagsAll}::text[]`);
    if (query.tagsAny !== undefined) where.push(Prisma.sql`d.user_tags && ${query.tagsAny}::text[]`);
    if (query.hasPostprocessing !== undefined) {
      const exists = Prisma.sql`EXISTS (SELECT 1 FROM postprocessings p WHERE p.device_id = d.id)`;
      where.push(query.hasPostprocessing ? exists : Prisma.sql`NOT ${exists}`);
    }
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
   * The latest value of every sensor the devices have reported, and the one before it: the newest
   * `readings` rows of each pair. `readings` is partitioned by month, so an unbounded "newest rows"
   * probes every partition. A sensor's newest reading is almost always within days of its device's
   * last reading (`devices.last_reading_at`, moved in the same statement as the readings), so the 7
   * days before it are searched first, which prunes all but the latest partitions; only pairs
   * silent for longer fall back to the full search.
   * A pair silent for longer than the compaction horizon has its newest readings in
   * readings_compact (the last elements of its newest days); the newest of those and of the rows win.
   */
  async findLatestSensorValues(deviceIds: number[]): Promise<DeviceSensorValue[]> {
    if (deviceIds.length === 0) return [];
    return this.db.client.$queryRaw<DeviceSensorValue[]>`
      SELECT ds.device_id AS "deviceId", ds.sensor_id AS "sensorId", ds.id AS "componentId",
             s.uuid::text AS uuid, s.parent_id AS "parentId", s.name, s.description, s.unit, s.datasheet,
             s.unit_definition AS "unitDefinition", s.tags, ${MEASUREMENT_JSON} AS measurement,
             s.created_at AS "sensorCreatedAt", s.updated_at AS "sensorUpdatedAt",
             (coalesce(recent.values, older.values))[1] AS value,
             (coalesce(recent.values, older.values))[2] AS "prevValue",
             coalesce(recent.recorded_at, older.recorded_at) AS "recordedAt"
        FROM device_sensors ds
        JOIN sensors s ON s.id = ds.sensor_id
        LEFT JOIN measurements m ON m.id = s.measurement_id
        JOIN devices d ON d.id = ds.device_id
        LEFT JOIN LATERAL (
          SELECT array_agg(latest.value ORDER BY latest.recorded_at DESC) AS values,
                 max(latest.recorded_at) AS recorded_at
            FROM (SELECT r.value, r.recorded_at FROM readings r
                   WHERE r.device_id = ds.device_id AND r.sensor_id = ds.sensor_id
                     AND r.recorded_at >= d.last_reading_at - interval '7 days'
                   ORDER BY r.recorded_at DESC LIMIT 2) latest) recent ON true
        LEFT JOIN LATERAL (
          SELECT array_agg(latest.value ORDER BY latest.recorded_at DESC) AS values,
                 max(latest.recorded_at) AS recorded_at
            FROM (SELECT o.value, o.recorded_at FROM (
                    (SELECT r.value, r.recorded_at FROM readings r
                      WHERE recent.recorded_at IS NULL AND r.device_id = ds.device_id
                        AND r.sensor_id = ds.sensor_id
                      ORDER BY r.recorded_at DESC LIMIT 2)
                    UNION ALL
                    SELECT u.value, c.day_start + u.us * interval '1 microsecond'
                      FROM (SELECT * FROM readings_compact c
                             WHERE recent.recorded_at IS NULL AND c.device_id = ds.device_id
                               AND c.sensor_id = ds.sensor_id
                             ORDER BY c.day_start DESC LIMIT 2) c
                     CROSS JOIN LATERAL unnest(c.offsets_us[cardinality(c.offsets_us) - 1:],
                                               c.vals[cardinality(c.vals) - 1:]) AS u(us, value)) o
                   ORDER BY o.recorded_at DESC LIMIT 2) latest) older ON true
       WHERE ds.device_id = ANY(${deviceIds}::int[])
         AND coalesce(recent.recorded_at, older.recorded_at) IS NOT NULL
       ORDER BY ds.device_id, s.name, s.id`;
  }

  /** The ids of the owners' devices the viewer may see (not archived), per owner. */
  async findOwnerDeviceIds(ownerIds: number[], viewer: Viewer | null): Promise<Map<number, number[]>> {
    if (ownerIds.length === 0) return new Map();
    const rows = await this.db.client.$queryRaw<{ ownerId: number; ids: number[] }[]>`
      SELECT d.owner_id AS "ownerId", array_agg(d.id ORDER BY d.id) AS ids FROM devices d
       WHERE d.owner_id = ANY(${ownerIds}::int[]) AND d.archived_at IS NULL AND ${visibleTo(viewer)}
       GROUP BY d.owner_id`;
    return new Map(rows.map((r) => [r.ownerId, r.ids]));
  }

  /** @throws DeviceTokenTakenError */
  async registerDevice(
    ownerId: number,
    fields: DeviceFields & { name: string; token: string },
  ): Promise<DeviceRecord> {
    const created = await this.translateTokenConflict(fields.token, () =>
      this.db.client.device.create({
        data: {
          ...toColumns(fields),
          name: fields.name,
          ownerId,
          ...(fields.postprocessing ? { postprocessing: { create: fields.postprocessing } } : {}),
        },
      }),
    );
    return (await this.findDevice(created.id))!;
  }

  /** @throws DeviceTokenTakenError */
  /** The device's columns and its post-processing row in one transaction. @throws DeviceTokenTakenError */
  async updateDevice(id: number, fields: DeviceFields, unarchive = false): Promise<DeviceRecord> {
    const postprocessing = fields.postprocessing
      ? {
          postprocessing: {
            upsert: {
              create: fields.postprocessing,
              update: { ...fields.postprocessing, updatedAt: new Date() },
            },
          },
        }
      : {};
    await this.translateTokenConflict(fields.token, () =>
      this.db.client.$transaction([
        this.db.client.device.update({
          where: { id },
          data: {
            ...toColumns(fields),
            ...(unarchive ? { archivedAt: null } : {}),
            ...postprocessing,
            updatedAt: new Date(),
          },
        }),
        ...(fields.postprocessing === null
          ? [this.db.client.postprocessing.deleteMany({ where: { deviceId: id } })]
          : []),
      ]),
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
    enableForwarding: fields.enableForwarding,
    notifyStoppedPublishing: fields.notifyStoppedPublishing,
    notifyLowBattery: fields.notifyLowBattery,
    city: fields.city,
    countryCode: fields.countryCode,
    meta: fields.meta === null ? Prisma.DbNull : (fields.meta as Prisma.InputJsonValue | undefined),
  };
}
