import { describe, expect, it } from 'vitest';
import { decodeInfo, decodeInventory } from './device-messages.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');

describe('decodeInfo', () => {
  it('accepts a JSON object as it is', () => {
    expect(decodeInfo(bytes('{"hw_ver":"2.1","id":"A1"}'))).toEqual({
      ok: true,
      info: { hw_ver: '2.1', id: 'A1' },
      sanitized: false,
    });
  });

  it('strips C0 control bytes inside strings and says so', () => {
    expect(decodeInfo(bytes('{"id":"ab\x01c\x7fd","mac":"\x00AA\x1f"}'))).toEqual({
      ok: true,
      info: { id: 'abc\x7fd', mac: 'AA' },
      sanitized: true,
    });
  });

  it('keeps tab, newline and carriage return, which JSON allows between tokens', () => {
    expect(decodeInfo(bytes('{\r\n\t"a": 1\n}'))).toEqual({ ok: true, info: { a: 1 }, sanitized: false });
  });

  it('removes \\u0000 escapes, which jsonb cannot hold', () => {
    expect(decodeInfo(bytes('{"a":"x\\u0000y","b\\u0000":{"c":"\\u0000"}}'))).toEqual({
      ok: true,
      info: { a: 'xy', b: { c: '' } },
      sanitized: true,
    });
  });

  it('replaces lone surrogates, which jsonb refuses, and says so', () => {
    expect(decodeInfo(bytes('{"a":"\\ud800","\\udc00k":["x\\ud83d"]}'))).toEqual({
      ok: true,
      info: { a: '\ufffd', '\ufffdk': ['x\ufffd'] },
      sanitized: true,
    });
  });

  it('rejects JSON nested deeper than jsonb should take as schema', () => {
    const result = decodeInfo(bytes(`{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`));
    expect(result.ok === false && result.rejection.reason).toBe('schema');
  });

  it.each([['[1,2]'], ['"text"'], ['42'], ['null'], ['true']])(
    'rejects non-object JSON %s as schema',
    (payload) => {
      const result = decodeInfo(bytes(payload));
      expect(result.ok === false && result.rejection.reason).toBe('schema');
    },
  );

  it.each([['{"a":'], [''], ['hello'], ['{"a":"\n"}']])(
    'rejects invalid JSON %j as malformed_json',
    (payload) => {
      const result = decodeInfo(bytes(payload));
      expect(result.ok === false && result.rejection.reason).toBe('malformed_json');
    },
  );
});

describe('decodeInventory', () => {
  it('keeps a JSON object as the report', () => {
    expect(decodeInventory(bytes('{"serial":"123456"}'))).toEqual({
      valid: true,
      report: { serial: '123456' },
      text: null,
    });
  });

  it('keeps anything else as text, flagged invalid', () => {
    expect(decodeInventory(bytes('[1]'))).toEqual({ valid: false, report: null, text: '[1]' });
    expect(decodeInventory(bytes('oops {'))).toEqual({ valid: false, report: null, text: 'oops {' });
  });

  it('replaces NUL, which Postgres text cannot hold', () => {
    expect(decodeInventory(bytes('a\x00b'))).toEqual({ valid: false, report: null, text: 'a\ufffdb' });
    expect(decodeInventory(bytes('{"a":"\\u0000"}'))).toEqual({
      valid: false,
      report: null,
      text: '{"a":"\\u0000"}',
    });
  });

  it('keeps an object with a lone surrogate or deep nesting as text, lossless', () => {
    expect(decodeInventory(bytes('{"a":"\\ud800"}'))).toEqual({
      valid: false,
      report: null,
      text: '{"a":"\\ud800"}',
    });
    const deep = `{"a":${'['.repeat(100)}${']'.repeat(100)}}`;
    expect(decodeInventory(bytes(deep))).toEqual({ valid: false, report: null, text: deep });
  });
});
