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

/** A device as `npm run device:create` registers it: a token and a name, maybe an owner. */
export interface NewDevice {
  token: string;
  name: string;
  ownerId?: number | null;
}
