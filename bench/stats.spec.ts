import { describe, expect, it } from 'vitest';
import { cpuMsFromProcStat, mean, percentOf, percentile, perThousand } from './stats.js';

describe('percentile', () => {
  it('interpolates between closest ranks', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(percentile(values, 50)).toBe(5.5);
    expect(percentile(values, 0)).toBe(1);
    expect(percentile(values, 100)).toBe(10);
    expect(percentile(values, 90)).toBeCloseTo(9.1, 10);
    expect(percentile(values, 99)).toBeCloseTo(9.91, 10);
  });

  it('does not depend on input order and does not reorder the input', () => {
    const values = [30, 10, 20];
    expect(percentile(values, 50)).toBe(20);
    expect(values).toEqual([30, 10, 20]);
  });

  it('handles one value and no values', () => {
    expect(percentile([42], 99)).toBe(42);
    expect(percentile([], 50)).toBeNaN();
  });

  it('refuses a percentile outside 0..100', () => {
    expect(() => percentile([1], 101)).toThrow(RangeError);
    expect(() => percentile([1], -1)).toThrow(RangeError);
  });
});

describe('rates', () => {
  it('averages two baselines, NaN without any', () => {
    expect(mean([200_000, 300_000])).toBe(250_000);
    expect(mean([7])).toBe(7);
    expect(mean([])).toBeNaN();
  });

  it('gives a percentage, NaN without a reference', () => {
    expect(percentOf(30, 60)).toBe(50);
    expect(percentOf(1, 0)).toBeNaN();
  });

  it('turns CPU time into milliseconds per 1,000 readings', () => {
    expect(perThousand(9000, 1_500_000)).toBe(6);
    expect(perThousand(10, 0)).toBeNaN();
  });

  it('reads utime + stime from /proc/<pid>/stat, whatever the command name holds', () => {
    // A line in the format of /proc/<pid>/stat, for a process named "node (x) y": spaces and a ")" in field 2.
    const line =
      '4242 (node (x) y) S 1 4242 4242 0 -1 4194560 30533 0 0 0 731 129 0 0 20 0 11 0 5386 1262944256 52330 18446744073709551615 1 1 0 0 0 0 0 16781312 17922 0 0 0 17 1 0 0 0 0 0';
    expect(cpuMsFromProcStat(line)).toBe(8600);
    expect(cpuMsFromProcStat(line, 1000)).toBe(860);
    expect(() => cpuMsFromProcStat('garbage')).toThrow('/proc/<pid>/stat');
  });
});
