import { describe, expect, it } from 'vitest';
import { readingsQuery, rollupParam } from './readings.dto.js';
import { sensorKey } from '#presenters';

describe('rollup', () => {
  it('takes a count and one of the units y M w d h m s', () => {
    expect(rollupParam.parse('1h')).toEqual({ count: 1, unit: 'h', text: '1h' });
    expect(rollupParam.parse('10m')).toEqual({ count: 10, unit: 'm', text: '10m' });
    expect(rollupParam.parse('3M')).toEqual({ count: 3, unit: 'M', text: '3M' });
    expect(rollupParam.parse('04w')).toEqual({ count: 4, unit: 'w', text: '4w' });
    for (const unit of ['y', 'M', 'w', 'd', 'h', 'm', 's', 'ms'])
      expect(rollupParam.parse(`2${unit}`).unit).toBe(unit);
  });

  it('reads a count of 0 as 1 (the web app sends 0s for a chart wider than its range)', () => {
    expect(rollupParam.parse('0s')).toEqual({ count: 1, unit: 's', text: '1s' });
  });

  it('refuses negative counts, unknown units, missing parts and counts past a valid date', () => {
    for (const bad of ['-1h', '1x', 'mss', '1sm', 'h', '1', '1.5h', '-1h', '1H', '1001y', '1 h h']) {
      expect(rollupParam.safeParse(bad).success, bad).toBe(false);
    }
  });
});

describe('readings query', () => {
  it('needs a sensor_id or sensor_key, flagged as a missing parameter', () => {
    const result = readingsQuery.safeParse({ rollup: '1h' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]).toMatchObject({ path: ['sensor_id'], params: { missing: true } });
    expect(readingsQuery.safeParse({ rollup: '1h', sensor_key: 'temperature' }).success).toBe(true);
  });
});

describe('sensorKey', () => {
  it('is a lowercase ASCII slug of the name', () => {
    expect(sensorKey('Temperature')).toBe('temperature');
    expect(sensorKey('PM 2.5')).toBe('pm_2_5');
    expect(sensorKey('  Nitrogen dioxide (NO2) ')).toBe('nitrogen_dioxide_no2');
    expect(sensorKey('Presión barométrica')).toBe('presion_barometrica');
  });
});
