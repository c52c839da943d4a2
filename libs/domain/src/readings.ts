import { z } from 'zod';
import { parseRaw } from './raw-grammar.js';
import type { Rejection } from './reasons.js';
import { parseTimestamp } from './timestamps.js';

/** One reading of one sensor, ready to store. */
export interface ReadingRow {
  sensorId: number;
  /** Epoch milliseconds, whole seconds. */
  recordedAt: number;
  value: number;
}

/** A reading as a device sent it, before the rules: one timestamp, several sensor items. */
export interface CandidateReading {
  recordedAt: unknown;
  items: { id: unknown; value: unknown }[];
  /** What to record as the offending item when the whole reading is rejected. */
  source: unknown;
  /** Set when the element's shape is already known to be wrong. */
  shapeError?: Rejection;
}

export type DecodeResult = { ok: true; readings: CandidateReading[] } | { ok: false; rejection: Rejection };

const jsonMessage = z.object({ data: z.array(z.unknown()).min(1) });
const jsonReading = z.looseObject({
  recorded_at: z.string(),
  sensors: z.array(z.looseObject({ id: z.unknown(), value: z.unknown() })),
});

/** The JSON form `{"data":[{"recorded_at":…,"sensors":[{"id":…,"value":…}]}]}`. */
export function decodeJsonReadings(payload: Buffer): DecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload.toString('utf8'));
  } catch (error) {
    return reject('malformed_json', `invalid JSON: ${(error as Error).message}`);
  }
  const message = jsonMessage.safeParse(parsed);
  if (!message.success) {
    return reject('schema', 'expected an object with a non-empty array "data"');
  }
  const readings = message.data.data.map((element): CandidateReading => {
    const reading = jsonReading.safeParse(element);
    if (reading.success) {
      return { recordedAt: reading.data.recorded_at, items: reading.data.sensors, source: element };
    }
    // An element of the wrong shape is rejected alone, never the whole message.
    const recordedAt: unknown =
      typeof element === 'object' && element !== null
        ? (element as Record<string, unknown>).recorded_at
        : undefined;
    const shapeError: Rejection =
      typeof recordedAt === 'string'
        ? { reason: 'schema', message: 'reading needs "sensors": [{"id", "value"}, …]', item: element }
        : {
            reason: recordedAt === undefined ? 'timestamp_missing' : 'timestamp_invalid',
            message: 'reading needs a "recorded_at" string',
            item: element,
          };
    return { recordedAt, items: [], source: element, shapeError };
  });
  return { ok: true, readings };
}

/** The raw form `{t:2017-03-24T13:35:14Z,10:87,55:24.37}`: always exactly one reading. */
export function decodeRawReadings(payload: Buffer): DecodeResult {
  const parsed = parseRaw(payload);
  if (!parsed.ok) return reject('raw_grammar', `not the raw readings form: ${parsed.error}`);
  if (parsed.timestamp === null) return reject('timestamp_missing', 'raw reading has no "t:" timestamp');
  return {
    ok: true,
    readings: [
      {
        recordedAt: parsed.timestamp,
        items: parsed.pairs,
        source: parsed.text,
      },
    ],
  };
}

function reject(reason: Rejection['reason'], message: string): DecodeResult {
  return { ok: false, rejection: { reason, message } };
}

export interface ReadingRules {
  /** Sensor ids of the catalogue. */
  sensorIds: ReadonlySet<number>;
  /** The ingestor's clock, epoch ms. */
  now: number;
  /** Earliest accepted instant, epoch ms. */
  floor: number;
  /** How far ahead of `now` a reading may be, ms. */
  maxFutureMs: number;
}

const DECIMAL = /^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/;
const DIGITS = /^\d+$/;

function sensorIdOf(id: unknown): number | null {
  if (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0) return id;
  if (typeof id === 'string' && DIGITS.test(id)) {
    const n = Number(id);
    return Number.isSafeInteger(n) ? n : null;
  }
  return null;
}

function valueOf(value: unknown): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/**
 * Applies PROTOCOL.md's per-reading rules. A rejected reading or item never blocks the others.
 * Within one message the last value for a (sensor, instant) wins; `null` values are skipped.
 */
export function applyReadingRules(
  readings: CandidateReading[],
  rules: ReadingRules,
): { rows: ReadingRow[]; rejections: Rejection[] } {
  const rejections: Rejection[] = [];
  // Keyed by sensor alone when the message holds one reading (the raw form always does): no
  // key string per item on the hot path.
  const single = readings.length === 1;
  const byKey = new Map<string | number, ReadingRow>();
  for (const reading of readings) {
    if (reading.shapeError) {
      rejections.push(reading.shapeError);
      continue;
    }
    if (typeof reading.recordedAt !== 'string') {
      rejections.push({
        reason: 'timestamp_invalid',
        message: '"recorded_at" must be a string',
        item: reading.source,
      });
      continue;
    }
    const recordedAt = parseTimestamp(reading.recordedAt);
    if (recordedAt === null) {
      rejections.push({
        reason: 'timestamp_invalid',
        message: `"${reading.recordedAt.slice(0, 64)}" is not an ISO 8601 date-time`,
        item: reading.source,
      });
      continue;
    }
    if (recordedAt > rules.now + rules.maxFutureMs) {
      rejections.push({
        reason: 'timestamp_future',
        message: `${reading.recordedAt} is more than ${rules.maxFutureMs / 3_600_000} h ahead of the ingestor's clock`,
        item: reading.source,
      });
      continue;
    }
    if (recordedAt < rules.floor) {
      rejections.push({
        reason: 'timestamp_too_old',
        message: `${reading.recordedAt} is before ${new Date(rules.floor).toISOString()}`,
        item: reading.source,
      });
      continue;
    }
    for (const item of reading.items) {
      if (item.value === null) continue;
      const sensorId = sensorIdOf(item.id);
      if (sensorId === null || !rules.sensorIds.has(sensorId)) {
        rejections.push({
          reason: 'unknown_sensor',
          message: `sensor id ${JSON.stringify(item.id)} is not in the sensor catalogue`,
          item: { recorded_at: reading.recordedAt, id: item.id, value: item.value },
        });
        continue;
      }
      const value = valueOf(item.value);
      if (value === null) {
        rejections.push({
          reason: 'value_invalid',
          message: `value ${JSON.stringify(item.value)} of sensor ${sensorId} is not a finite number`,
          item: { recorded_at: reading.recordedAt, id: item.id, value: item.value },
        });
        continue;
      }
      byKey.set(single ? sensorId : `${sensorId}@${recordedAt}`, { sensorId, recordedAt, value });
    }
  }
  return { rows: [...byKey.values()], rejections };
}
