import type { WorldMapDevice } from '#db';
import { countryName } from '#presenters';
import { isoSeconds } from '#presenters';
import { FILTERED, deviceState, hardwareOf, systemTags } from '#presenters';

/** Hardware objects per version: the whole fleet shares a handful. */
const hardwareByVersion = new Map<string | null, ReturnType<typeof hardwareOf>>();

function hardware(version: string | null) {
  let known = hardwareByVersion.get(version);
  if (!known) {
    known = hardwareOf(version, FILTERED);
    if (hardwareByVersion.size < 1000) hardwareByVersion.set(version, known);
  }
  return known;
}

/**
 * The slim device of `GET /v0/devices/world_map`, keys in the reference's order. It runs for the
 * whole fleet at once, so the location is built member by member rather than filtered.
 */
export function presentWorldMapDevice(device: WorldMapDevice, now: number) {
  const location: {
    exposure?: string;
    latitude: number;
    longitude: number;
    city?: string;
    country?: string;
  } = {
    latitude: device.latitude,
    longitude: device.longitude,
  };
  const country = countryName(device.countryCode);
  const json = {
    id: device.id,
    name: device.name,
    description: device.description,
    state: deviceState(device),
    system_tags: systemTags(device, now),
    user_tags: device.userTags,
    last_reading_at: isoSeconds(device.lastReadingAt),
    location:
      device.exposure === null && device.city === null && country === null
        ? location
        : {
            ...(device.exposure === null ? {} : { exposure: device.exposure }),
            ...location,
            ...(device.city === null ? {} : { city: device.city }),
            ...(country === null ? {} : { country }),
          },
    hardware: hardware(device.hwVer),
  };
  return json;
}
