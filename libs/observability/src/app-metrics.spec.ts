import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AppMetrics } from './app-metrics.js';

async function sample(metrics: AppMetrics, name: string) {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`${name} not registered`);
  return (await metric.get()).values.map((v) => ({ labels: v.labels, value: v.value }));
}

describe('AppMetrics', () => {
  // Only the clock: checks are reused for a second, and the test moves time on instead of waiting.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('reports the pool by state and postgres up or down by its ping', async () => {
    let healthy = true;
    const metrics = new AppMetrics();
    metrics.watchDatabase({
      poolConnections: () => ({ total: 4, idle: 1, waiting: 2 }),
      ping: () => (healthy ? Promise.resolve() : Promise.reject(new Error('ECONNREFUSED'))),
    });
    expect(await sample(metrics, 'sck_db_pool_connections')).toEqual([
      { labels: { state: 'total' }, value: 4 },
      { labels: { state: 'idle' }, value: 1 },
      { labels: { state: 'waiting' }, value: 2 },
    ]);
    expect(await sample(metrics, 'sck_dependency_up')).toEqual([
      { labels: { dependency: 'postgres' }, value: 1 },
    ]);
    healthy = false;
    // A scrape within a second of the last reuses its result; the next one checks again.
    expect(await sample(metrics, 'sck_dependency_up')).toEqual([
      { labels: { dependency: 'postgres' }, value: 1 },
    ]);
    vi.advanceTimersByTime(1000);
    expect(await sample(metrics, 'sck_dependency_up')).toEqual([
      { labels: { dependency: 'postgres' }, value: 0 },
    ]);
  });

  it('reports a dependency that does not answer within the timeout as down', async () => {
    const metrics = new AppMetrics();
    metrics.checkDependency('redis', () => new Promise(() => undefined));
    expect(await sample(metrics, 'sck_dependency_up')).toEqual([
      { labels: { dependency: 'redis' }, value: 0 },
    ]);
  });

  it('reports job counts per queue and state, keeping the last counts while a store is down', async () => {
    let reachable = true;
    const metrics = new AppMetrics();
    metrics.watchQueues([
      {
        name: 'store-forward',
        counts: () =>
          reachable
            ? Promise.resolve({ waiting: 3, active: 1, delayed: 0, failed: 2 })
            : Promise.reject(new Error('redis is reconnecting')),
      },
    ]);
    const expected = [
      { labels: { queue: 'store-forward', state: 'waiting' }, value: 3 },
      { labels: { queue: 'store-forward', state: 'active' }, value: 1 },
      { labels: { queue: 'store-forward', state: 'delayed' }, value: 0 },
      { labels: { queue: 'store-forward', state: 'failed' }, value: 2 },
    ];
    expect(await sample(metrics, 'sck_queue_jobs')).toEqual(expected);
    reachable = false;
    vi.advanceTimersByTime(1000);
    expect(await sample(metrics, 'sck_queue_jobs')).toEqual(expected);
  });

  it('exposes the process metrics (RSS) in the same registry', async () => {
    const text = await new AppMetrics().registry.metrics();
    expect(text).toMatch(/^process_resident_memory_bytes \d+/m);
  });
});
