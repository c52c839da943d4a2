import { describe, expect, it } from 'vitest';
import { decodeJsonReadings, decodeRawReadings } from '#domain';
import { Fleet } from './fleet.js';
import { seededRandom } from './random.js';

const START = Date.parse('2026-01-10T00:00:00Z');

describe('Fleet', () => {
  it('is reproducible from its seed', () => {
    const a = new Fleet({ devices: 50, seed: 7, mix: { raw: 0.9, json: 0.1 }, startAt: START });
    const b = new Fleet({ devices: 50, seed: 7, mix: { raw: 0.9, json: 0.1 }, startAt: START });
    for (let i = 0; i < 500; i++) expect(a.next(START + i * 10)).toEqual(b.next(START + i * 10));
    expect(seededRandom(1)()).not.toBe(seededRandom(2)());
  });

  it('counts exactly the distinct readings its traffic holds', () => {
    const fleet = new Fleet({
      devices: 20,
      seed: 3,
      mix: { raw: 0.7, json: 0.3 },
      startAt: START,
      duplicateRate: 0.05,
      backlogRate: 0.02,
    });
    const keys = new Set<string>();
    let counted = 0;
    let duplicates = 0;
    let backlog = 0;
    for (let i = 0; i < 5000; i++) {
      const m = fleet.next(START + i * 5);
      counted += m.newReadings;
      if (m.duplicate) duplicates++;
      if (m.backlog) backlog++;
      if (m.kind !== 'raw' && m.kind !== 'json') continue;
      const payload = Buffer.from(m.payload);
      const decoded = m.kind === 'raw' ? decodeRawReadings(payload) : decodeJsonReadings(payload);
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) continue;
      for (const reading of decoded.readings) {
        for (const item of reading.items)
          keys.add(`${m.device}/${String(item.id)}/${String(reading.recordedAt)}`);
      }
    }
    expect(keys.size).toBe(counted);
    expect(duplicates).toBeGreaterThan(0);
    expect(backlog).toBeGreaterThan(0);
  });

  it('sends battery first, PM every 5th reading and two-decimal values', () => {
    const fleet = new Fleet({
      devices: 1,
      seed: 1,
      mix: { raw: 1, json: 0 },
      startAt: START,
      duplicateRate: 0,
    });
    const withPm: boolean[] = [];
    for (let i = 0; i < 10; i++) {
      const m = fleet.next(START);
      if (m.kind !== 'raw') continue;
      expect(m.payload).toMatch(/^\{t:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ,10:\d+,/);
      expect(m.payload).toMatch(/,55:-?\d+\.\d\d,/);
      withPm.push(m.payload.includes(',89:'));
    }
    expect(withPm.slice(0, 6)).toEqual([true, false, false, false, false, true]);
  });
});
