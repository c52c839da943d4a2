import { describe, expect, it } from 'vitest';
import { literalQueueFilters, normaliseTopic, routeTopic, subscriptionFilters } from './topics.js';

describe('routeTopic', () => {
  it.each([
    ['device/sck/abc123/readings', { kind: 'readings', token: 'abc123' }],
    ['device/sck/abc123/readings/raw', { kind: 'raw', token: 'abc123' }],
    ['device/sck/abc123/hello', { kind: 'hello', token: 'abc123' }],
    ['device/sck/abc123/info', { kind: 'info', token: 'abc123' }],
    ['device/inventory', { kind: 'inventory', token: null }],
    ['$queue/device/sck/abc123/readings/raw', { kind: 'raw', token: 'abc123' }],
    ['$share/grp/device/sck/abc123/readings', { kind: 'readings', token: 'abc123' }],
    ['bridge/device/sck/abc123/info', { kind: 'info', token: 'abc123' }],
    ['$queue/bridge/device/sck/abc123/hello', { kind: 'hello', token: 'abc123' }],
  ])('%s', (topic, expected) => {
    expect(routeTopic(topic, ['', 'bridge/'])).toEqual(expected);
  });

  it('routes by segments, so tokens containing kind names are not misrouted', () => {
    expect(routeTopic('device/sck/raw/readings')).toEqual({ kind: 'readings', token: 'raw' });
    expect(routeTopic('device/sck/info/readings/raw')).toEqual({ kind: 'raw', token: 'info' });
    expect(routeTopic('device/sck/readings/hello')).toEqual({ kind: 'hello', token: 'readings' });
  });

  it.each([
    'device/sck/abc123',
    'device/sck//readings',
    'device/sck/abc123/readings/raw/extra',
    'device/sck/abc123/readings/json',
    'device/sck/abc123/status',
    'device/sck/a+b/readings',
    'device/inventory/extra',
    'devices/sck/abc123/readings',
    'other/device/sck/abc123/readings',
    '',
    '/device/sck/abc123/readings',
    `device/sck/${'x'.repeat(65)}/readings/raw`,
    `device/sck/${'k'.repeat(6000)}/readings/raw`,
    'device/sck/abc.123/readings',
    'device/sck/abc 123/hello',
    'device/sck/äbc123/info',
    `device/sck/ab${String.fromCharCode(0)}c/readings`,
  ])('rejects %s', (topic) => {
    expect(routeTopic(topic, ['', 'bridge/'])).toBeNull();
  });

  it('accepts tokens of 1 to 64 letters, digits, "-" and "_"', () => {
    expect(routeTopic(`device/sck/${'A-z_9'.repeat(12)}abcd/hello`)).toEqual({
      kind: 'hello',
      token: `${'A-z_9'.repeat(12)}abcd`,
    });
    expect(routeTopic('device/sck/a/hello')).toEqual({ kind: 'hello', token: 'a' });
  });

  it('strips only configured prefixes, longest first', () => {
    expect(normaliseTopic('eu/bridge/device/inventory', ['bridge/', 'eu/bridge/'])).toBe('device/inventory');
    expect(routeTopic('bridge/device/inventory', [])).toBeNull();
  });
});

describe('subscriptionFilters', () => {
  it('puts every filter under the share and each prefix', () => {
    expect(subscriptionFilters('$share/sck-ingest', [''])).toEqual([
      '$share/sck-ingest/device/sck/+/readings',
      '$share/sck-ingest/device/sck/+/readings/raw',
      '$share/sck-ingest/device/sck/+/hello',
      '$share/sck-ingest/device/sck/+/info',
      '$share/sck-ingest/device/inventory',
    ]);
    expect(subscriptionFilters('$queue', ['', 'bridge/'])).toHaveLength(10);
    expect(subscriptionFilters('$queue', ['bridge/'])[0]).toBe('$queue/bridge/device/sck/+/readings');
    expect(subscriptionFilters(null, [])[0]).toBe('device/sck/+/readings');
  });

  it('adds literal $queue/ filters only when the share is not $queue', () => {
    expect(literalQueueFilters('$queue')).toEqual([]);
    expect(literalQueueFilters('$share/g')).toContain('$queue/device/sck/+/readings/raw');
  });
});
