import type { WorldMapDevice } from '../../../../libs/db/src/index.js';
import { countryName } from '../common/country.js';
import { isoSeconds } from '../common/time.js';
import { FILTERED, deviceState, hardwareOf, systemTags, withoutNulls } from '../devices/device.presenter.js';

/** The slim device of `GET /v0/devices/world_map`, keys in the reference's order. */
export function presentWorldMapDevice(device: WorldMapDevice, now: number) {
  return {
    id: device.id,
    name: device.name,
    description: device.description,
    state: deviceState(device),
    system_tags: systemTags(device, now),
    user_tags: device.userTags,
    last_reading_at: isoSeconds(device.lastReadingAt),
    location: withoutNulls({
      exposure: device.exposure,
      latitude: device.latitude,
      longitude: device.longitude,
      city: device.city,
      country: countryName(device.countryCode),
    }),
    hardware: hardwareOf(device.hwVer, FILTERED),
  };
}
