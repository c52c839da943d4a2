import { describe, expect, it } from 'vitest';
import { logSafeTopic, tokenRef } from './log-safe.js';

describe('log-safe topics', () => {
  it('replaces the token segment, keeping the rest of the topic', () => {
    const safe = logSafeTopic('device/sck/a1b2c3/readings/raw');
    expect(safe).toMatch(/^device\/sck\/token#[0-9a-f]{8}\/readings\/raw$/);
    expect(safe).not.toContain('a1b2c3');
    expect(logSafeTopic('$queue/bridge/device/sck/a1b2c3/hello')).toBe(
      `$queue/bridge/device/sck/${tokenRef('a1b2c3')}/hello`,
    );
  });

  it('gives one token the same reference and two tokens different ones', () => {
    expect(tokenRef('abc')).toBe(tokenRef('abc'));
    expect(tokenRef('abc')).not.toBe(tokenRef('abd'));
  });

  it('cuts a long topic', () => {
    const safe = logSafeTopic(`device/${'x'.repeat(6000)}/readings`);
    expect(safe.length).toBe(201);
    expect(safe.endsWith('…')).toBe(true);
  });

  it('leaves topics without a device token alone', () => {
    expect(logSafeTopic('device/inventory')).toBe('device/inventory');
    expect(logSafeTopic('other/topic')).toBe('other/topic');
  });
});
