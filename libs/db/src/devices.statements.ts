import { Prisma } from './generated/prisma/client.js';
import type { DeviceFields, DeviceListQuery } from './device-record.js';
import { distanceKm, escapeLike, stateIs, visibleTo } from './device-conditions.js';

/* The SQL of DevicesRepository, apart from the class so that each stays readable. */

const isoSecondsSql = (column: string) =>
  Prisma.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);

/** `m` is the measurements row joined to a sensor: null, or the reference's measurement object. */
const MEASUREMENT_JSON = Prisma.sql`
  CASE WHEN m.id IS NULL THEN NULL
       ELSE json_build_object('id', m.id, 'uuid', m.uuid, 'name', m.name, 'description', m.description,
                              'definition', m.definition) END`;

/** DeviceRecord's columns: the device, its owner's public profile and its post-processing. */
export const SELECT_DEVICE = Prisma.sql`
  SELECT d.id, d.uuid::text AS "uuid", d.token, d.owner_id AS "ownerId", u.uuid::text AS "ownerUuid",
         u.username AS "ownerUsername", u.url AS "ownerUrl", u.profile_picture AS "ownerProfilePicture",
         u.city AS "ownerCity", u.country_code AS "ownerCountryCode", d.name, d.description,
         d.is_private AS "isPrivate", d.precise_location AS "preciseLocation",
         d.enable_forwarding AS "enableForwarding",
         d.notify_stopped_publishing AS "notifyStoppedPublishing", d.notify_low_battery AS "notifyLowBattery",
         d.latitude, d.longitude, d.elevation, d.exposure, d.city, d.country_code AS "countryCode",
         d.user_tags AS "userTags", d.meta, d.hardware_info AS "hardwareInfo",
         CASE WHEN p.id IS NULL THEN NULL
              ELSE json_build_object('id', p.id, 'blueprint_url', p.blueprint_url,
                     'hardware_url', p.hardware_url, 'forwarding_params', p.forwarding_params,
                     'meta', p.meta, 'latest_postprocessing', ${isoSecondsSql('p.latest_postprocessing')},
                     'created_at', ${isoSecondsSql('p.created_at')},
                     'updated_at', ${isoSecondsSql('p.updated_at')}, 'device_id', p.device_id) END
           AS postprocessing,
         d.last_reading_at AS "lastReadingAt", d.archived_at AS "archivedAt", d.created_at AS "createdAt",
         d.updated_at AS "updatedAt"
    FROM devices d
    LEFT JOIN users u ON u.id = d.owner_id
    LEFT JOIN postprocessings p ON p.device_id = d.id`;

/** The WHERE and ORDER BY of the device list (`devices d LEFT JOIN users u`). */
export function deviceListConditions(query: DeviceListQuery): { condition: Prisma.Sql; orderBy: Prisma.Sql } {
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
  return { condition: Prisma.join(where, ' AND '), orderBy };
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
export function latestSensorValuesStatement(deviceIds: number[]): Prisma.Sql {
  return Prisma.sql`
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

/** The `devices` columns of writable fields, for Prisma's create and update. */
export function deviceColumns(fields: DeviceFields) {
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
