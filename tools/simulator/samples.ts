import { formatInstant } from '#domain';
import type { Random } from './random.js';

/**
 * Realistic sample packets of an SCK 2.1 (battery first, two decimals), shared by `ingest:pub`,
 * the fleet simulator and the tests.
 */
export const SCK21_SENSORS: { id: number; base: number; spread: number; decimals: number }[] = [
  { id: 10, base: 87, spread: 10, decimals: 0 }, // battery %
  { id: 14, base: 300, spread: 250, decimals: 0 }, // light lux
  { id: 55, base: 21, spread: 6, decimals: 2 }, // temperature C
  { id: 56, base: 55, spread: 20, decimals: 2 }, // humidity %
  { id: 53, base: 48, spread: 12, decimals: 2 }, // noise dBA
  { id: 58, base: 101.3, spread: 1.5, decimals: 2 }, // pressure kPa
  { id: 112, base: 450, spread: 80, decimals: 2 }, // eCO2 ppm
  { id: 113, base: 40, spread: 30, decimals: 2 }, // VOC ppb
];
/** PM sensors, read every 5th reading on real kits. */
export const SCK21_PM_SENSORS = [
  { id: 89, base: 6, spread: 5, decimals: 2 },
  { id: 87, base: 9, spread: 8, decimals: 2 },
  { id: 88, base: 12, spread: 10, decimals: 2 },
];

export interface SampleValue {
  id: number;
  value: string;
}

export function sampleValues(random: Random, withPm: boolean): SampleValue[] {
  const sensors = withPm ? [...SCK21_SENSORS, ...SCK21_PM_SENSORS] : SCK21_SENSORS;
  return sensors.map((s) => ({
    id: s.id,
    value: (s.base + (random() - 0.5) * s.spread).toFixed(s.decimals),
  }));
}

/** `{t:2017-03-24T13:35:14Z,10:87,55:24.37,…}` as current firmware sends it. */
export function rawPacket(at: Date | number, values: SampleValue[]): string {
  return `{t:${formatInstant(at)},${values.map((v) => `${v.id}:${v.value}`).join(',')}}`;
}

/** `{"data":[{"recorded_at":…,"sensors":[{"id":…,"value":…}]}]}` as old firmware sends it. */
export function jsonPacket(readings: { at: Date | number; values: SampleValue[] }[]): string {
  return JSON.stringify({
    data: readings.map((r) => ({
      recorded_at: formatInstant(r.at),
      sensors: r.values.map((v) => ({ id: v.id, value: Number(v.value) })),
    })),
  });
}

export function infoPacket(): string {
  return JSON.stringify({
    time: formatInstant(Date.now()),
    hw_ver: '2.1',
    id: '8D2C9F3A5150484E4B202020FF0E0E0E',
    sam_ver: '0.9.8-ce87e64',
    sam_bd: '2021-03-10T10:42:21Z',
    mac: 'AB:45:2D:33:98:11',
    esp_ver: '0.9.8-ce87e64',
    esp_bd: '2021-03-10T10:42:21Z',
    rcause: 'reset',
  });
}

export function helloPacket(token: string): string {
  return `${token}:Hello`;
}
