import { describe, expect, it } from 'vitest';
import { isPgUnsafeText, MAX_JSON_DEPTH, pgSafeJson, pgSafeText } from './pg-text.js';

const NUL = String.fromCharCode(0);

describe('pgSafeText', () => {
  it('replaces NUL and lone surrogates, keeps pairs and plain text', () => {
    expect(pgSafeText(`a${NUL}b`)).toBe('a\ufffdb');
    expect(pgSafeText('x\ud800y')).toBe('x\ufffdy');
    expect(pgSafeText('\udc00')).toBe('\ufffd');
    expect(pgSafeText('ok 😀 ü')).toBe('ok 😀 ü');
    expect(isPgUnsafeText('ok 😀')).toBe(false);
    expect(isPgUnsafeText('\ud800')).toBe(true);
  });
});

describe('pgSafeJson', () => {
  it('fixes strings and keys at every depth and says so', () => {
    const parsed: unknown = JSON.parse(`{"a":"\\ud800","b":[{"\\u0000k":["x\\u0000"]}],"n":1}`);
    expect(pgSafeJson(parsed)).toEqual({
      ok: true,
      changed: true,
      value: { a: '\ufffd', b: [{ '\ufffdk': ['x\ufffd'] }], n: 1 },
    });
  });

  it('leaves clean values unchanged', () => {
    expect(pgSafeJson({ a: [1, 'two', null, true], b: { c: 'ü' } })).toEqual({
      ok: true,
      changed: false,
      value: { a: [1, 'two', null, true], b: { c: 'ü' } },
    });
  });

  it('refuses nesting deeper than the limit', () => {
    const deep = (n: number): unknown => JSON.parse(`${'['.repeat(n)}${']'.repeat(n)}`);
    expect(pgSafeJson(deep(MAX_JSON_DEPTH)).ok).toBe(true);
    expect(pgSafeJson(deep(MAX_JSON_DEPTH + 1))).toEqual({ ok: false, reason: 'too_deep' });
    expect(pgSafeJson(deep(5000))).toEqual({ ok: false, reason: 'too_deep' });
  });
});
