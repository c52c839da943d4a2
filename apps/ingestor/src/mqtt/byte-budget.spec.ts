import { describe, expect, it } from 'vitest';
import { ByteBudget } from './byte-budget.js';

describe('ByteBudget', () => {
  it('counts what a message holds: its size at first, what the handler keeps once decoded, nothing once settled', () => {
    const budget = new ByteBudget(100_000);
    const big = budget.hold(250_000);
    let reads = 0;
    budget.whenRoom(() => reads++);
    expect(reads).toBe(0);
    // Rejected as too large: only a 1 KB prefix is kept, and the members read on.
    big.retain(1024);
    expect(reads).toBe(1);
    expect(budget.bytes).toBe(1024);
    big.release();
    big.retain(5000);
    expect(budget.bytes).toBe(0);
  });

  it('wakes waiting members in order as room appears', () => {
    const budget = new ByteBudget(10);
    const a = budget.hold(6);
    const b = budget.hold(6);
    const woken: string[] = [];
    budget.whenRoom(() => woken.push('first'));
    budget.whenRoom(() => woken.push('second'));
    a.release();
    expect(woken).toEqual(['first', 'second']);
    b.release();
    expect(budget.bytes).toBe(0);
  });
});
