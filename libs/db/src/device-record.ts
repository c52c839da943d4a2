import { Prisma } from './generated/prisma/client.js';

/** A device as the REST API reads it, with its owner's public profile and its post-processing. */
export interface DeviceRecord {
  id: number;
  uuid: string;
  token: string | null;
  ownerId: number | null;
  ownerUuid: string | null;
  ownerUsername: string | null;
  ownerUrl: string | null;
  ownerProfilePicture: string | null;
  ownerCity: string | null;
  ownerCountryCode: string | null;
  name: string;
  description: string | null;
  isPrivate: boolean;
  preciseLocation: boolean;
  enableForwarding: boolean;
  notifyStoppedPublishing: boolean;
  notifyLowBattery: boolean;
  latitude: number | null;
  longitude: number | null;
  elevation: number | null;
  exposure: string | null;
  city: string | null;
  countryCode: string | null;
  userTags: string[];
  meta: unknown;
  hardwareInfo: unknown;
  /** The reference's `postprocessing` object (times already ISO to the second), or null. */
  postprocessing: Record<string, unknown> | null;
  lastReadingAt: Date | null;
  archivedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

/** What a device reported of one sensor, with the sensor's catalogue entry. */
export interface DeviceSensorValue {
  deviceId: number;
  sensorId: number;
  componentId: number;
  uuid: string;
  parentId: number | null;
  name: string;
  description: string;
  unit: string;
  datasheet: string | null;
  unitDefinition: string | null;
  tags: string[];
  measurement: SensorMeasurement | null;
  sensorCreatedAt: Date;
  sensorUpdatedAt: Date;
  value: number;
  /** The reading before the latest one, when there is one. */
  prevValue: number | null;
  recordedAt: Date;
}

export interface SensorMeasurement {
  id: number;
  uuid: string;
  name: string;
  description: string;
  definition: string | null;
}

const isoSecondsSql = (column: string) =>
  Prisma.raw(`to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')`);

/** `m` is the measurements row joined to a sensor: null, or the reference's measurement object. */
export const MEASUREMENT_JSON = Prisma.sql`
  CASE WHEN m.id IS NULL THEN NULL
       ELSE json_build_object('id', m.id, 'uuid', m.uuid, 'name', m.name, 'description', m.description,
                              'definition', m.definition) END`;

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
