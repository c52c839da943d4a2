/** Longest line accepted; a longer one is reported and skipped, never buffered whole. */
export const MAX_LINE_BYTES = 1024 * 1024;

export type CsvLine = { number: number; text: string } | { number: number; tooLong: true };

/**
 * The lines of a byte stream, pulled as the consumer asks (the stream's own backpressure): memory
 * holds one chunk and at most one line of MAX_LINE_BYTES. CRLF and LF endings; a final line
 * without an ending is still a line.
 */
export async function* csvLines(source: AsyncIterable<Buffer | string>): AsyncGenerator<CsvLine> {
  let pending = '';
  let skipping = false;
  let number = 0;
  for await (const chunk of source) {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('utf8');
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      const piece = text.slice(start, end);
      start = end + 1;
      number++;
      if (skipping) {
        skipping = false;
        continue;
      }
      yield { number, text: (pending + piece).replace(/\r$/, '') };
      pending = '';
    }
    if (!skipping) pending += text.slice(start);
    if (pending.length > MAX_LINE_BYTES) {
      yield { number: number + 1, tooLong: true };
      pending = '';
      skipping = true;
    }
  }
  if (!skipping && pending.length > 0) yield { number: number + 1, text: pending.replace(/\r$/, '') };
}
