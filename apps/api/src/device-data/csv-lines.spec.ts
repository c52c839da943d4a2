import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { MAX_LINE_BYTES, csvLines } from './csv-lines.js';

async function collect(chunks: string[]) {
  const lines = [];
  for await (const line of csvLines(Readable.from(chunks.map((c) => Buffer.from(c))))) {
    lines.push(line);
  }
  return lines;
}

describe('csvLines', () => {
  it('splits across chunks, drops CR, keeps a last line without an ending', async () => {
    expect(await collect(['a,b\r\nc,', 'd\ne', ',f'])).toEqual([
      { number: 1, text: 'a,b' },
      { number: 2, text: 'c,d' },
      { number: 3, text: 'e,f' },
    ]);
  });

  it('reports an overlong line once and goes on with the next one', async () => {
    const long = 'x'.repeat(MAX_LINE_BYTES + 10);
    const lines = await collect(['a\n', long.slice(0, 600_000), long.slice(600_000), 'tail\nb\n']);
    expect(lines).toEqual([
      { number: 1, text: 'a' },
      { number: 2, tooLong: true },
      { number: 3, text: 'b' },
    ]);
  });
});
