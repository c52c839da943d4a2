import { describe, expect, it } from 'vitest';
import { parseRaw } from './raw-grammar.js';

const ok = (text: string | Buffer) => {
  const result = parseRaw(text);
  if (!result.ok) throw new Error(`expected "${String(text)}" to parse: ${result.error}`);
  return result;
};
const rejects = (text: string | Buffer) => expect(parseRaw(text).ok, `"${String(text)}"`).toBe(false);

describe('raw grammar: accepted', () => {
  it('parses the firmware form', () => {
    expect(ok('{t:2017-03-24T13:35:14Z,10:87,55:24.37,56:51.20,53:48.91}')).toEqual({
      ok: true,
      timestamp: '2017-03-24T13:35:14Z',
      pairs: [
        { id: '10', value: '87' },
        { id: '55', value: '24.37' },
        { id: '56', value: '51.20' },
        { id: '53', value: '48.91' },
      ],
      text: '{t:2017-03-24T13:35:14Z,10:87,55:24.37,56:51.20,53:48.91}',
    });
  });

  it.each([
    ['spaces around pairs, ids and colons', '{ t :2017-03-24T13:35:14Z , 10 : 87 , 55 :24.37 }'],
    ['commas optional', '{t:2017-03-24T13:35:14Z 10:87 55:24.37}'],
    ['no separator at all after the timestamp', '{t:2017-03-24T13:35:14Z10:87}'],
    ['trailing comma', '{t:2017-03-24T13:35:14Z,10:87,}'],
    ['surrounding whitespace trimmed', ' \t\r\n{t:2017-03-24T13:35:14Z,10:87}\n '],
    ['t anywhere', '{10:87,t:2017-03-24T13:35:14Z,55:1.00}'],
    ['negative and 6-decimal values', '{t:2017-03-24T13:35:14Z,125:-41.385064,10:-1}'],
  ])('%s', (_name, text) => {
    const result = ok(text);
    expect(result.timestamp).toBe('2017-03-24T13:35:14Z');
    expect(result.pairs.length).toBeGreaterThan(0);
  });

  it('keeps the last timestamp when t repeats', () => {
    expect(ok('{t:2017-01-01T00:00:00Z,10:1,t:2018-01-01T00:00:00Z}').timestamp).toBe('2018-01-01T00:00:00Z');
  });

  it('parses null values (dropped later, not errors)', () => {
    expect(ok('{t:2017-03-24T13:35:14Z,10:null,55: null}').pairs).toEqual([
      { id: '10', value: null },
      { id: '55', value: null },
    ]);
  });

  it('accepts a message without t (the rules reject it as timestamp_missing)', () => {
    expect(ok('{10:87}').timestamp).toBeNull();
    expect(ok(' {}\n')).toEqual({ ok: true, timestamp: null, pairs: [], text: '{}' });
  });

  it('passes grammar-valid but non-numeric ids and values through for per-item rejection', () => {
    expect(ok('{t:2017-03-24T13:35:14Z,1-2:5,55:1.-2,56:--}').pairs).toEqual([
      { id: '1-2', value: '5' },
      { id: '55', value: '1.-2' },
      { id: '56', value: '--' },
    ]);
  });

  it('keeps repeated ids in order (the rules keep the last)', () => {
    expect(ok('{t:2017-03-24T13:35:14Z,79:1.00,79:2.00}').pairs.map((p) => p.value)).toEqual([
      '1.00',
      '2.00',
    ]);
  });
});

describe('raw grammar: rejected as a whole', () => {
  it.each([
    ['multi-line body', '{t:2017-03-24T13:35:14Z,\n10:87}'],
    ['tab inside', '{t:2017-03-24T13:35:14Z,\t10:87}'],
    ['space after t:', '{t: 2017-03-24T13:35:14Z,10:87}'],
    ['fractional seconds', '{t:2017-03-24T13:35:14.123Z,10:87}'],
    ['offset', '{t:2017-03-24T13:35:14+01:00,10:87}'],
    ['missing Z', '{t:2017-03-24T13:35:14,10:87}'],
    ['space separator in timestamp', '{t:2017-03-24 13:35:14Z,10:87}'],
    ['exponent', '{t:2017-03-24T13:35:14Z,10:1e5}'],
    ['quoted value', '{t:2017-03-24T13:35:14Z,10:"87"}'],
    ['quoted key', '{"t":2017-03-24T13:35:14Z,10:87}'],
    ['plus sign', '{t:2017-03-24T13:35:14Z,10:+5}'],
    ['leading dot', '{t:2017-03-24T13:35:14Z,10:.5}'],
    ['trailing dot', '{t:2017-03-24T13:35:14Z,10:5.}'],
    ['empty pair', '{t:2017-03-24T13:35:14Z,,10:87}'],
    ['leading comma', '{,t:2017-03-24T13:35:14Z,10:87}'],
    ['missing value', '{t:2017-03-24T13:35:14Z,10:}'],
    ['missing colon', '{t:2017-03-24T13:35:14Z,10 87}'],
    ['trailing garbage', '{t:2017-03-24T13:35:14Z,10:87}x'],
    ['two messages', '{t:2017-03-24T13:35:14Z,10:87}{t:2017-03-24T13:35:14Z,10:87}'],
    ['missing closing brace', '{t:2017-03-24T13:35:14Z,10:87'],
    ['missing opening brace', 't:2017-03-24T13:35:14Z,10:87}'],
    ['empty string', ''],
    ['only whitespace', '  \n'],
    ['JSON document', '{"data":[{"recorded_at":"2017-03-24T13:35:14Z","sensors":[{"id":10,"value":87}]}]}'],
    ['NaN', '{t:2017-03-24T13:35:14Z,10:NaN}'],
    ['Null capitalised', '{t:2017-03-24T13:35:14Z,10:Null}'],
    ['uppercase T key', '{T:2017-03-24T13:35:14Z,10:87}'],
    ['value glued to next id', '{t:2017-03-24T13:35:14Z,10:8755:24}'],
    ['NUL byte inside', '{t:2017-03-24T13:35:14Z,10:8\u00007}'],
  ])('%s', (_name, text) => rejects(text));

  it('rejects bytes outside printable ASCII instead of deleting them', () => {
    rejects(Buffer.from('{t:2017-03-24T13:35:14Z,55:2\xb04.37}', 'latin1'));
    rejects(Buffer.from('{t:2017-03-24T13:35:14Z,55:24.37°}', 'utf8'));
    rejects(Buffer.from([0x7b, 0x7f, 0x7d]));
  });

  it('says where the input went wrong', () => {
    const result = parseRaw('{t:2017-03-24T13:35:14Z,10:87}x');
    expect(result).toEqual({ ok: false, error: expect.stringContaining('offset 30') });
  });

  it('stays linear on a large hostile body', () => {
    const body = `{t:2017-03-24T13:35:14Z,${'1'.repeat(60_000)}`;
    const started = performance.now();
    rejects(body);
    // Not a timing assertion on the ingest path: a regex with backtracking would take seconds here.
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
