/**
 * `sensor_key`: the sensors table has no key column, so the key is a stable slug of the sensor's
 * name ("Air Temperature" → "air_temperature"): lowercase ASCII, runs of anything else as "_".
 * It changes only when the sensor is renamed. The shipped catalogue has no two names with the same
 * slug; should an edited one ever have, the lowest id wins.
 */
export function sensorKey(name: string): string {
  return name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
