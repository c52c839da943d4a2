import { describe, expect, it } from 'vitest';
import { applyReadingRules, decodeJsonReadings, decodeRawReadings, type ReadingRules } from './readings.js';

const NOW = Date.UTC(2024, 0, 10, 12, 0, 0);
const rules: ReadingRules = {
  sensorIds: new Set([10, 55, 56, 79]),
  now: NOW,
  floor: Date.UTC(2000, 0, 1),
  maxFutureMs: 24 * 3600_000,
};
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const at = (iso: string) => Date.parse(iso);

function run(payload: Buffer, form: 'json' | 'raw') {
  const decoded = form === 'json' ? decodeJsonReadings(payload) : decodeRawReadings(payload);
  if (!decoded.ok) return { message: decoded.rejection.reason };
  const { rows, rejections } = applyReadingRules(decoded.readings, rules);
  return { rows, reasons: rejections.map((r) => r.reason) };
}

describe('JSON form', () => {
  it.each([
    ['not JSON', Buffer.from('{"data": ['), 'malformed_json'],
    ['not an object', json([1, 2]), 'schema'],
    ['no data', json({ readings: [] }), 'schema'],
    ['empty data', json({ data: [] }), 'schema'],
    ['data not an array', json({ data: { recorded_at: 'x' } }), 'schema'],
    ['null', json(null), 'schema'],
    ['invalid UTF-8 bytes', Buffer.from([0x7b, 0xff, 0x7d]), 'malformed_json'],
  ])('rejects the whole message: %s', (_name, payload, reason) => {
    expect(run(payload, 'json')).toEqual({ message: reason });
  });

  it('accepts digit-string ids and decimal-string values, skips nulls, ignores extra keys', () => {
    const result = run(
      json({
        version: 2,
        data: [
          {
            recorded_at: '2024-01-10T10:00:00Z',
            note: 'x',
            sensors: [
              { id: '55', value: '-1.50', unit: 'C' },
              { id: 56, value: '1e2' },
              { id: 10, value: null },
            ],
          },
        ],
      }),
      'json',
    );
    expect(result).toEqual({
      rows: [
        { sensorId: 55, recordedAt: at('2024-01-10T10:00:00Z'), value: -1.5 },
        { sensorId: 56, recordedAt: at('2024-01-10T10:00:00Z'), value: 100 },
      ],
      reasons: [],
    });
  });

  it('rejects per item and per reading without blocking the rest', () => {
    const result = run(
      json({
        data: [
          {
            recorded_at: '2024-01-10T10:00:00Z',
            sensors: [
              { id: 55, value: 20 },
              { id: 999, value: 1 },
              { id: 'x5', value: 1 },
              { id: 1.5, value: 1 },
              { id: 56, value: 'abc' },
              { id: 56, value: true },
              { id: 56, value: 'NaN' },
              { id: 56, value: 'Infinity' },
              { id: 56, value: '1e400' },
              { id: 56, value: {} },
            ],
          },
          { recorded_at: '2024-01-12T12:00:01Z', sensors: [{ id: 55, value: 1 }] },
          { recorded_at: '1999-12-31T23:59:59Z', sensors: [{ id: 55, value: 1 }] },
          { recorded_at: 'yesterday', sensors: [{ id: 55, value: 1 }] },
          { recorded_at: 12345, sensors: [{ id: 55, value: 1 }] },
          { sensors: [{ id: 55, value: 1 }] },
          { recorded_at: '2024-01-10T10:00:00Z', sensors: 'none' },
          'not an object',
          { recorded_at: '2024-01-11T11:59:59Z', sensors: [{ id: 10, value: 50 }] },
        ],
      }),
      'json',
    );
    expect(result).toEqual({
      rows: [
        { sensorId: 55, recordedAt: at('2024-01-10T10:00:00Z'), value: 20 },
        { sensorId: 10, recordedAt: at('2024-01-11T11:59:59Z'), value: 50 },
      ],
      reasons: [
        'unknown_sensor',
        'unknown_sensor',
        'unknown_sensor',
        'value_invalid',
        'value_invalid',
        'value_invalid',
        'value_invalid',
        'value_invalid',
        'value_invalid',
        'timestamp_future',
        'timestamp_too_old',
        'timestamp_invalid',
        'timestamp_invalid',
        'timestamp_missing',
        'schema',
        'timestamp_missing',
      ],
    });
  });

  it('keeps the last value for a sensor at the same instant within one message', () => {
    const result = run(
      json({
        data: [
          { recorded_at: '2024-01-10T10:00:00Z', sensors: [{ id: 55, value: 1 }] },
          { recorded_at: '2024-01-10T11:00:00+01:00', sensors: [{ id: 55, value: 2 }] },
        ],
      }),
      'json',
    );
    expect(result.rows).toEqual([{ sensorId: 55, recordedAt: at('2024-01-10T10:00:00Z'), value: 2 }]);
  });
});

describe('raw form', () => {
  it('stores one reading; last value of a repeated id wins; nulls dropped', () => {
    expect(run(Buffer.from('{t:2024-01-10T10:00:00Z,10:87,79:1.00,55:null,79:2.00}'), 'raw')).toEqual({
      rows: [
        { sensorId: 10, recordedAt: at('2024-01-10T10:00:00Z'), value: 87 },
        { sensorId: 79, recordedAt: at('2024-01-10T10:00:00Z'), value: 2 },
      ],
      reasons: [],
    });
  });

  it('rejects grammar-valid non-numbers per item', () => {
    expect(run(Buffer.from('{t:2024-01-10T10:00:00Z,1-2:5,55:1.-2,56:--,10:-1}'), 'raw')).toEqual({
      rows: [{ sensorId: 10, recordedAt: at('2024-01-10T10:00:00Z'), value: -1 }],
      reasons: ['unknown_sensor', 'value_invalid', 'value_invalid'],
    });
  });

  it('rejects a message without timestamp, and grammar errors, as a whole', () => {
    expect(run(Buffer.from('{10:87}'), 'raw')).toEqual({ message: 'timestamp_missing' });
    expect(run(Buffer.from('{t:2024-01-10T10:00:00Z,10:87'), 'raw')).toEqual({ message: 'raw_grammar' });
  });

  it('applies the time rules to the raw timestamp too', () => {
    expect(run(Buffer.from('{t:2024-02-30T10:00:00Z,10:87}'), 'raw').reasons).toEqual(['timestamp_invalid']);
    expect(run(Buffer.from('{t:2030-01-01T00:00:00Z,10:87}'), 'raw').reasons).toEqual(['timestamp_future']);
  });
});
