const BASE32 = '0123456789bcdefghjkmnpqrstuvwxyz';

/** Standard geohash of a point (the reference shows 7 characters, ~150 m). */
export function geohash(latitude: number, longitude: number, length = 7): string {
  let lat: [number, number] = [-90, 90];
  let lng: [number, number] = [-180, 180];
  let hash = '';
  let bits = 0;
  let value = 0;
  let evenBit = true;
  while (hash.length < length) {
    const range = evenBit ? lng : lat;
    const coordinate = evenBit ? longitude : latitude;
    const mid = (range[0] + range[1]) / 2;
    value <<= 1;
    if (coordinate >= mid) {
      value |= 1;
      if (evenBit) lng = [mid, lng[1]];
      else lat = [mid, lat[1]];
    } else if (evenBit) lng = [lng[0], mid];
    else lat = [lat[0], mid];
    evenBit = !evenBit;
    if (++bits === 5) {
      hash += BASE32[value];
      bits = 0;
      value = 0;
    }
  }
  return hash;
}
