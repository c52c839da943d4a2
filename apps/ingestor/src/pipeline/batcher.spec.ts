import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type BatcherOptions } from './batcher.js';

interface Entry {
  rows: number;
  id: number;
}

const options: BatcherOptions = { maxRows: 100, maxWaitMs: 20, flushAtEntries: 4, maxConcurrentFlushes: 1 };

describe('Batcher', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  function setup(opts: Partial<BatcherOptions> = {}) {
    const batches: number[][] = [];
    let release: (() => void) | undefined;
    let hold = false;
    const write = vi.fn(async (entries: Entry[]) => {
      batches.push(entries.map((e) => e.id));
      if (hold) await new Promise<void>((resolve) => (release = resolve));
    });
    const batcher = new Batcher<Entry>({ ...options, ...opts }, write);
    return { batcher, batches, write, holdWrites: () => (hold = true), release: () => release?.() };
  }

  it('flushes when every member is waiting', async () => {
    const { batcher, batches } = setup();
    const done = [1, 2, 3, 4].map((id) => batcher.submit({ id, rows: 1 }));
    await Promise.all(done);
    expect(batches).toEqual([[1, 2, 3, 4]]);
  });

  it('flushes on size', async () => {
    const { batcher, batches } = setup();
    await Promise.all([batcher.submit({ id: 1, rows: 60 }), batcher.submit({ id: 2, rows: 60 })]);
    expect(batches).toEqual([[1, 2]]);
  });

  it('flushes on the timer when traffic is light', async () => {
    const { batcher, batches } = setup();
    const done = batcher.submit({ id: 1, rows: 1 });
    await vi.advanceTimersByTimeAsync(19);
    expect(batches).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await done;
    expect(batches).toEqual([[1]]);
  });

  it('settles a submit only when its batch is written, and rejects it when the write fails', async () => {
    const failing = new Batcher<Entry>(options, () => Promise.reject(new Error('db down')));
    const outcome = failing.submit({ id: 1, rows: 1 }).then(
      () => 'resolved',
      (e: Error) => e.message,
    );
    await vi.advanceTimersByTimeAsync(20);
    expect(await outcome).toBe('db down');
  });

  it('limits concurrent flushes and batches what arrives meanwhile', async () => {
    const { batcher, batches, holdWrites, release } = setup({ flushAtEntries: 1 });
    holdWrites();
    const first = batcher.submit({ id: 1, rows: 1 });
    const second = batcher.submit({ id: 2, rows: 1 });
    const third = batcher.submit({ id: 3, rows: 1 });
    expect(batches).toEqual([[1]]);
    release();
    await first;
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([[1], [2, 3]]);
    release();
    await Promise.all([second, third]);
  });

  it('caps a batch at maxRows, leaving the rest for the next one', async () => {
    const { batcher, batches } = setup({ maxRows: 10, flushAtEntries: 100 });
    const done = [1, 2, 3].map((id) => batcher.submit({ id, rows: 6 }));
    await vi.advanceTimersByTimeAsync(50);
    await Promise.all(done);
    expect(batches).toEqual([[1, 2], [3]]);
  });
});
