import { describe, expect, it } from 'vitest';
import { DEVICE_TOKEN_LENGTH, generateDeviceToken } from './device-token.js';

describe('generateDeviceToken', () => {
  it('makes 20 lowercase letters and digits by default, and the 6-character kit form on request', () => {
    expect(generateDeviceToken()).toMatch(/^[a-z0-9]{20}$/);
    expect(DEVICE_TOKEN_LENGTH).toBe(20);
    expect(generateDeviceToken('kit')).toMatch(/^[a-z0-9]{6}$/);
  });

  it('draws from the whole alphabet without repeats in practice', () => {
    const tokens = Array.from({ length: 2000 }, () => generateDeviceToken());
    expect(new Set(tokens).size).toBe(2000);
    const seen = new Set(tokens.join(''));
    expect(seen.size).toBe(36);
  });
});
