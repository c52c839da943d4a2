import { describe, expect, it } from 'vitest';
import { hourlyRange } from './rollups.repository.js';
import { touchedHours } from './storage-lifecycle.js';

const H = 3_600_000;

describe('touchedHours', () => {
  it('names each device × hour of a batch once, hours since 1970 UTC', () => {
    const at = Date.parse('2024-01-01T10:59:59.999Z');
    const hour = Math.floor(at / H);
    const marks = touchedHours([
      { deviceId: 7, recordedAt: at },
      { deviceId: 7, recordedAt: at - 1000 },
      { deviceId: 7, recordedAt: at + 1 },
      { deviceId: 3, recordedAt: at },
    ]);
    expect(marks).toEqual({ deviceIds: '7,7,3', hours: `${hour},${hour + 1},${hour}` });
  });

  it('is empty for an empty batch', () => {
    expect(touchedHours([])).toEqual({ deviceIds: '', hours: '' });
  });
});

describe('hourlyRange', () => {
  const base = { deviceId: 1, sensorId: 55, fn: 'avg' as const };
  const from = new Date('2024-01-01T10:30:00Z');
  const to = new Date('2024-01-03T05:15:00Z');

  it('covers the whole hours and, for whole-day buckets, the whole days of the range', () => {
    expect(hourlyRange({ ...base, from, to, every: { count: 1, unit: 'd' } })).toEqual({
      hourFrom: new Date('2024-01-01T11:00:00Z'),
      hourTo: new Date('2024-01-03T05:00:00Z'),
      dayFrom: new Date('2024-01-02T00:00:00Z'),
      dayTo: new Date('2024-01-03T00:00:00Z'),
    });
    const hourly = hourlyRange({ ...base, from, to, every: { count: 2, unit: 'h' } });
    expect(hourly?.dayFrom).toEqual(hourly?.dayTo);
  });

  it('leaves buckets that are not whole hours to the rows', () => {
    for (const every of [
      { count: 30, unit: 'm' },
      { count: 90, unit: 'm' },
      { count: 5400, unit: 's' },
    ] as const) {
      expect(hourlyRange({ ...base, from, to, every })).toBeNull();
    }
    expect(hourlyRange({ ...base, from, to, every: { count: 120, unit: 'm' } })).not.toBeNull();
  });
});
