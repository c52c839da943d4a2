import { describe, expect, it } from 'vitest';
import { redactToken, redactTopic } from './redact.js';

describe('redactToken', () => {
  it('keeps two characters and the length', () => {
    expect(redactToken('secret42')).toBe('se…(8)');
    expect(redactToken(null)).toBe('-');
  });
});

describe('redactTopic', () => {
  it('redacts the token segment and cuts long topics', () => {
    expect(redactTopic('device/sck/secret42/readings/raw')).toBe('device/sck/se…(8)/readings/raw');
    expect(redactTopic('$queue/device/sck/abc/hello')).toBe('$queue/device/sck/ab…(3)/hello');
    expect(redactTopic('device/inventory')).toBe('device/inventory');
    const long = redactTopic(`device/sck/${'k'.repeat(6000)}/x/${'y'.repeat(500)}`);
    expect(long).not.toContain('kkk');
    expect(long.length).toBeLessThanOrEqual(201);
  });
});
