import type { ApiUser, DeviceRecord, DeviceSensorValue, DeviceState } from '#db';
import { countryName } from './country.js';
import { geohash } from './geohash.js';
import { isoSeconds } from './time.js';
import { sensorKey } from './sensor-key.js';

export const FILTERED = '[FILTERED]';
const ONLINE_WITHIN_MS = 60 * 60_000;
const NEW_WITHIN_MS = 7 * 86_400_000;

export function canManage(viewer: ApiUser | null, device: Pick<DeviceRecord, 'ownerId'>): boolean {
  return viewer !== null && (viewer.role === 'admin' || viewer.id === device.ownerId);
}

export function deviceState(device: Pick<DeviceRecord, 'lastReadingAt' | 'token'>): DeviceState {
  if (device.lastReadingAt) return 'has_published';
  return device.token ? 'never_published' : 'not_configured';
}

export function systemTags(
  device: Pick<DeviceRecord, 'exposure' | 'createdAt' | 'lastReadingAt'>,
  now: number,
): string[] {
  const tags: string[] = [];
  if (device.exposure) tags.push(device.exposure);
  if (now - device.createdAt.getTime() < NEW_WITHIN_MS) tags.push('new');
  const online = device.lastReadingAt !== null && now - device.lastReadingAt.getTime() <= ONLINE_WITHIN_MS;
  tags.push(online ? 'online' : 'offline');
  return tags.sort();
}

export function withoutNulls<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(object).filter(([, v]) => v !== null && v !== undefined),
  ) as Partial<T>;
}

export function hardware(device: DeviceRecord, manage: boolean) {
  const info = device.hardwareInfo;
  const version =
    info && typeof info === 'object' && typeof (info as { hw_ver?: unknown }).hw_ver === 'string'
      ? (info as { hw_ver: string }).hw_ver
      : null;
  return hardwareOf(version, manage ? (info ?? null) : FILTERED);
}

/** `hardware` from the kit's `hw_ver`; `Unknown` without one. */
export function hardwareOf(version: string | null, statusMessage: unknown) {
  if (version === null) {
    return {
      name: 'Unknown',
      type: 'Unknown',
      version: null,
      slug: 'unknown',
      last_status_message: statusMessage,
    };
  }
  return {
    name: `SmartCitizen Kit ${version}`,
    type: 'SCK',
    version,
    slug: `sck:${version.replaceAll('.', ',')}`,
    last_status_message: statusMessage,
  };
}

/** The owner's public profile as the device JSON shows it. */
function owner(device: DeviceRecord, deviceIds: number[]) {
  if (device.ownerId === null) return null;
  return {
    id: device.ownerId,
    uuid: device.ownerUuid,
    username: device.ownerUsername,
    url: device.ownerUrl,
    profile_picture: device.ownerProfilePicture ?? '',
    location: {
      city: device.ownerCity,
      country: countryName(device.ownerCountryCode),
      country_code: device.ownerCountryCode,
    },
    device_ids: deviceIds,
  };
}

/** One sensor of `data.sensors`: the catalogue entry with the device's latest values. */
function sensor(s: DeviceSensorValue) {
  return {
    id: s.sensorId,
    ancestry: s.parentId === null ? null : String(s.parentId),
    name: s.name,
    description: s.description,
    unit: s.unit,
    created_at: isoSeconds(s.sensorCreatedAt),
    updated_at: isoSeconds(s.sensorUpdatedAt),
    uuid: s.uuid,
    default_key: sensorKey(s.name),
    datasheet: s.datasheet,
    unit_definition: s.unitDefinition,
    measurement: s.measurement,
    value: s.value,
    prev_value: s.prevValue,
    last_reading_at: isoSeconds(s.recordedAt),
    tags: s.tags,
  };
}

/** `location`, unknown members omitted. */
export function deviceLocation(device: DeviceRecord) {
  const hasPoint = device.latitude !== null && device.longitude !== null;
  return withoutNulls({
    exposure: device.exposure,
    elevation: device.elevation,
    latitude: device.latitude,
    longitude: device.longitude,
    geohash: hasPoint ? geohash(device.latitude!, device.longitude!) : null,
    city: device.city,
    country_code: device.countryCode,
    country: countryName(device.countryCode),
  });
}

/**
 * The v0 device JSON, keys in the reference's order (../shared/API.md). `ownerDeviceIds`: the
 * owner's devices the viewer may see.
 */
export function presentDevice(
  device: DeviceRecord,
  sensors: DeviceSensorValue[],
  viewer: ApiUser | null,
  now = Date.now(),
  ownerDeviceIds: number[] = [],
) {
  const manage = canManage(viewer, device);
  return {
    id: device.id,
    uuid: device.uuid,
    name: device.name,
    description: device.description,
    state: deviceState(device),
    system_tags: systemTags(device, now),
    user_tags: device.userTags,
    last_reading_at: isoSeconds(device.lastReadingAt),
    created_at: isoSeconds(device.createdAt),
    updated_at: isoSeconds(device.updatedAt),
    notify: {
      stopped_publishing: device.notifyStoppedPublishing,
      low_battery: device.notifyLowBattery,
    },
    device_token: manage ? device.token : FILTERED,
    postprocessing: device.postprocessing,
    location: deviceLocation(device),
    data_policy: {
      is_private: device.isPrivate,
      enable_forwarding: device.enableForwarding,
      precise_location: device.preciseLocation,
      forwarding_destination: null,
    },
    hardware: hardware(device, manage),
    owner: owner(device, ownerDeviceIds),
    data: {
      sensors: sensors
        .filter((s) => s.deviceId === device.id)
        .sort((a, b) => a.name.localeCompare(b.name) || a.sensorId - b.sensorId)
        .map(sensor),
    },
    experiment_ids: [] as number[],
  };
}

export type DeviceJson = ReturnType<typeof presentDevice>;
