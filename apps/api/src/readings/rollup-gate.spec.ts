import { describe, expect, it } from 'vitest';
import { ApiError } from '../common/api-error.js';
import { RollupGate } from './rollup-gate.js';

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('RollupGate', () => {
  it('runs at most maxRunning at once, the rest in order, and refuses past maxWaiting', async () => {
    const gate = new RollupGate(2, 1);
    const started: number[] = [];
    const holds = [deferred(), deferred(), deferred()];
    const runs = holds.map((hold, i) =>
      gate.run(async () => {
        started.push(i);
        await hold.promise;
        return i;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    const refused = await gate.run(() => Promise.resolve('x')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ApiError);
    expect((refused as ApiError).status).toBe(429);
    holds[0].resolve();
    await runs[0];
    await new Promise((r) => setImmediate(r));
    expect(started).toEqual([0, 1, 2]);
    holds[1].resolve();
    holds[2].resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2]);
    expect(await gate.run(() => Promise.resolve('free again'))).toBe('free again');
  });

  it('frees the slot when the work fails', async () => {
    const gate = new RollupGate(1, 0);
    await expect(gate.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(() => Promise.resolve(1))).toBe(1);
  });
});
