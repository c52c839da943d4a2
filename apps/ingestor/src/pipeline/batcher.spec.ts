import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Batcher, type BatcherOptions, FULL_SHARE_TAU_MS } from './batcher.js';

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

  it('is saturated while every write slot is busy and a whole batch waits, for most of the last second', async () => {
    const { batcher, holdWrites, release } = setup({
      flushAtEntries: 100,
      maxRows: 2,
      maxConcurrentFlushes: 1,
    });
    holdWrites();
    const all = [batcher.submit({ id: 1, rows: 1 }), batcher.submit({ id: 2, rows: 1 })];
    all.push(batcher.submit({ id: 3, rows: 1 }));
    // One batch being written, one row waiting: not a whole batch.
    expect(batcher.depth).toEqual({ pending: 1, flushing: 1, writing: 2 });
    all.push(batcher.submit({ id: 4, rows: 1 }));
    vi.advanceTimersByTime(FULL_SHARE_TAU_MS);
    // A whole batch has waited for a time constant: most of the recent time.
    expect(batcher.saturated).toBe(true);
    release();
    await vi.advanceTimersByTimeAsync(0);
    release();
    await Promise.all(all);
    // Empty again: the share of time spent full decays below half within a time constant.
    vi.advanceTimersByTime(FULL_SHARE_TAU_MS);
    expect(batcher.saturated).toBe(false);
  });

  it('is not saturated by a full moment in an otherwise idle second', async () => {
    const { batcher, holdWrites, release } = setup({
      flushAtEntries: 100,
      maxRows: 2,
      maxConcurrentFlushes: 1,
    });
    holdWrites();
    const all = [1, 2, 3, 4].map((id) => batcher.submit({ id, rows: 1 }));
    vi.advanceTimersByTime(FULL_SHARE_TAU_MS / 4);
    release();
    await vi.advanceTimersByTimeAsync(0);
    release();
    await Promise.all(all);
    expect(batcher.saturated).toBe(false);
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

  it('flushes what a batch cut at maxRows left behind by its own age, not the age of the cut', async () => {
    const { batcher, batches, holdWrites, release } = setup({
      maxRows: 10,
      maxWaitMs: 50,
      flushAtEntries: 100,
    });
    holdWrites();
    const done = [batcher.submit({ id: 1, rows: 6 }), batcher.submit({ id: 2, rows: 6 })];
    expect(batches).toEqual([[1, 2]]); // due on size; its write is held
    await vi.advanceTimersByTimeAsync(10);
    done.push(batcher.submit({ id: 3, rows: 6 }));
    await vi.advanceTimersByTimeAsync(5);
    done.push(batcher.submit({ id: 4, rows: 6 })); // due on size, but the one flush slot is busy
    await vi.advanceTimersByTimeAsync(5);
    done.push(batcher.submit({ id: 5, rows: 6 })); // submitted at t = 20
    await vi.advanceTimersByTimeAsync(20);
    release(); // t = 40: [3, 4] goes (cut at maxRows), 5 stays behind
    await vi.advanceTimersByTimeAsync(0);
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    release();
    await vi.advanceTimersByTimeAsync(29); // t = 69: 5 has waited 49 ms
    expect(batches).toEqual([
      [1, 2],
      [3, 4],
    ]);
    await vi.advanceTimersByTimeAsync(1); // t = 70 = its submit + maxWaitMs, not the cut + maxWaitMs (90)
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    release();
    await Promise.all(done);
  });

  it('caps a batch at maxRows, leaving the rest for the next one', async () => {
    const { batcher, batches } = setup({ maxRows: 10, flushAtEntries: 100 });
    const done = [1, 2, 3].map((id) => batcher.submit({ id, rows: 6 }));
    await vi.advanceTimersByTimeAsync(50);
    await Promise.all(done);
    expect(batches).toEqual([[1, 2], [3]]);
  });
});
