import type { ApiUser, DeviceRecord, DeviceSensorValue, DeviceState } from '../../db/src/index.js';
import { geohash } from './geohash.js';
import { isoSeconds } from './time.js';

export const FILTERED = '[FILTERED]';
const ONLINE_WITHIN_MS = 60 * 60_000;
const NEW_WITHIN_MS = 7 * 86_400_000;

export function canManage(viewer: ApiUser | null, device: Pick<DeviceRecord, 'ownerId'>): boolean {
  return viewer !== null && (viewer.role === 'admin' || viewer.id === device.ownerId);
}

export function deviceState(device: DeviceRecord): DeviceState {
  if (device.lastReadingAt) return 'has_published';
  return device.token ? 'never_published' : 'not_configured';
}

function systemTags(device: DeviceRecord, now: number): string[] {
  const tags: string[] = [];
  if (device.exposure) tags.push(device.exposure);
  if (now - device.createdAt.getTime() < NEW_WITHIN_MS) tags.push('new');
  const online = device.lastReadingAt !== null && now - device.lastReadingAt.getTime() <= ONLINE_WITHIN_MS;
  tags.push(online ? 'online' : 'offline');
  return tags.sort();
}

function withoutNulls<T extends Record<string, unknown>>(object: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(object).filter(([, v]) => v !== null && v !== undefined),
  ) as Partial<T>;
}

function hardware(device: DeviceRecord, manage: boolean) {
  const info = device.hardwareInfo;
  const version =
    info && typeof info === 'object' && typeof (info as { hw_ver?: unknown }).hw_ver === 'string'
      ? (info as { hw_ver: string }).hw_ver
      : null;
  const statusMessage = manage ? (info ?? null) : FILTERED;
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

/** The v0 device JSON, keys in the reference's order. */
export function presentDevice(
  device: DeviceRecord,
  sensors: DeviceSensorValue[],
  viewer: ApiUser | null,
  now = Date.now(),
) {
  const manage = canManage(viewer, device);
  const hasPoint = device.latitude !== null && device.longitude !== null;
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
    device_token: manage ? device.token : FILTERED,
    location: withoutNulls({
      exposure: device.exposure,
      elevation: device.elevation,
      latitude: device.latitude,
      longitude: device.longitude,
      geohash: hasPoint ? geohash(device.latitude!, device.longitude!) : null,
      // No geocoder here: city, country_code and country are unknown, so omitted.
      city: null,
      country_code: null,
      country: null,
    }),
    data_policy: {
      is_private: device.isPrivate,
      enable_forwarding: device.enableForwarding,
      precise_location: device.preciseLocation,
    },
    hardware: hardware(device, manage),
    owner:
      device.ownerId === null
        ? null
        : { id: device.ownerId, uuid: device.ownerUuid, username: device.ownerUsername },
    data: {
      sensors: sensors
        .filter((s) => s.deviceId === device.id)
        .sort((a, b) => a.name.localeCompare(b.name) || a.sensorId - b.sensorId)
        .map((s) => ({
          id: s.sensorId,
          name: s.name,
          description: s.description,
          unit: s.unit,
          value: s.value,
          last_reading_at: isoSeconds(s.recordedAt),
          component_id: s.componentId,
        })),
    },
  };
}

export type DeviceJson = ReturnType<typeof presentDevice>;
