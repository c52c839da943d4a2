import { describe, expect, it } from 'vitest';
import { SendWindow } from './send-window.js';

function deferred() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

const at = (txId: number) => ({ txId: BigInt(txId), deviceId: 0 });

describe('SendWindow', () => {
  it('settles pages in order, whatever order their sending ends in, and says how far they went', async () => {
    const window = new SendWindow();
    const pages = [deferred(), deferred(), deferred()];
    pages.forEach((p, i) => window.push(at(i + 1), p.promise));
    let settled: unknown = 'not yet';
    const settling = window.settle(1).then((through) => (settled = through));
    pages[1].resolve();
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe('not yet');
    pages[0].resolve();
    await settling;
    expect(settled).toEqual(at(2));
    expect(window.size).toBe(1);
    expect(await window.settle(1)).toBeNull();
    pages[2].resolve();
    expect(await window.settle(0)).toEqual(at(3));
  });

  it('throws the first failure when it reaches it; a later failure is not unhandled meanwhile', async () => {
    const window = new SendWindow();
    const pages = [deferred(), deferred()];
    pages.forEach((p, i) => window.push(at(i + 1), p.promise));
    pages[1].reject(new Error('later page failed'));
    await new Promise((resolve) => setImmediate(resolve));
    pages[0].reject(new Error('broker away'));
    await expect(window.settle(0)).rejects.toThrow('broker away');
  });
});
