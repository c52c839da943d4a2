import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { RollupsRepository, RollupRefresh } from '#db';
import type { IngestorConfig } from '../config.provider.js';
import type { CompactionService } from './compaction.service.js';
import { StorageJobsService } from './storage-jobs.service.js';

/** A rollup repository whose steps each take `stepMs` and find work `steps` times. */
function fakeRollups(steps: number, stepMs: number) {
  const calls: { start: number; end: number }[] = [];
  const rollups = {
    async refresh(): Promise<RollupRefresh> {
      const start = performance.now();
      await sleep(stepMs);
      calls.push({ start, end: performance.now() });
      return calls.length <= steps ? { marks: 1, buckets: 10 } : { marks: 0, buckets: 0 };
    },
  };
  return { rollups: rollups as unknown as RollupsRepository, calls };
}

const jobs = (rollups: RollupsRepository, duty: number) =>
  new StorageJobsService(
    rollups,
    {} as CompactionService,
    {
      ROLLUP_DUTY_PERCENT: duty,
    } as IngestorConfig,
  );

describe('the rollup job', () => {
  it('pauses between steps so that they fill at most ROLLUP_DUTY_PERCENT of the time', async () => {
    const { rollups, calls } = fakeRollups(3, 20);
    await jobs(rollups, 25).refreshRollups();
    expect(calls).toHaveLength(4);
    // 25 %: each step of ~20 ms is followed by a pause of three times its length.
    for (let i = 1; i < calls.length; i++) {
      const step = calls[i - 1].end - calls[i - 1].start;
      expect(calls[i].start - calls[i - 1].end).toBeGreaterThanOrEqual(step * 3 - 5);
    }
  });

  it('runs steps back to back at 100 %, and stops when a step finds nothing', async () => {
    const { rollups, calls } = fakeRollups(2, 5);
    await jobs(rollups, 100).refreshRollups();
    expect(calls).toHaveLength(3);
    for (let i = 1; i < calls.length; i++) expect(calls[i].start - calls[i - 1].end).toBeLessThan(15);
  });

  it('cuts a pause short when the service stops', async () => {
    const { rollups, calls } = fakeRollups(5, 50);
    const service = jobs(rollups, 1);
    const run = service.refreshRollups();
    await sleep(80);
    const stopped = performance.now();
    await service.onModuleDestroy();
    await run;
    expect(performance.now() - stopped).toBeLessThan(1000);
    expect(calls).toHaveLength(1);
  });
});
