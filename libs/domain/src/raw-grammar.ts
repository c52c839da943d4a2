/**
 * The compact raw readings form, exactly the reference grammar of PROTOCOL.md:
 *
 *   message := "{" SP pair* SP "}"
 *   pair    := (tpair | vpair) SP ","? SP
 *   tpair   := "t" SP ":" TS
 *   TS      := DDDD "-" DD "-" DD "T" DD ":" DD ":" DD "Z"
 *   vpair   := NUM SP ":" SP (FLOAT | NUM | "null")
 *   NUM     := [-0-9]+           FLOAT := NUM "." NUM          SP := " "*
 *
 * A hand-written scanner rather than a regex: it says where the input went wrong, and it never
 * backtracks, so a hostile 64 KiB body costs linear time.
 */
export interface RawPair {
  id: string;
  /** The value's text as written, or null for the literal `null`. */
  value: string | null;
}

export type RawParseResult =
  | {
      ok: true;
      timestamp: string | null;
      pairs: RawPair[];
      /** The body as parsed (latin1, surrounding whitespace trimmed). */
      text: string;
    }
  | { ok: false; error: string };

const TS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z/;

function isNumChar(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || c === 0x2d; // 0-9 or '-'
}

const isAsciiWhitespace = (c: number) => c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;

const codeAt = (payload: Buffer | string, k: number): number =>
  typeof payload === 'string' ? payload.charCodeAt(k) : payload[k];

export function parseRaw(payload: Buffer | string): RawParseResult {
  const fail = (at: number, what: string): RawParseResult => ({
    ok: false,
    error: `${what} at offset ${at}`,
  });
  // Surrounding whitespace (space, tab, CR, LF) is trimmed as PROTOCOL.md allows, nothing more.
  // These checks read the bytes themselves, before any string is made: a large body that is not
  // the raw form (a flood of 64 KiB payloads) is refused at its first byte, without a copy.
  let from = 0;
  let to = payload.length;
  while (from < to && isAsciiWhitespace(codeAt(payload, from))) from++;
  while (to > from && isAsciiWhitespace(codeAt(payload, to - 1))) to--;
  if (from === to) return fail(0, 'empty body');
  if (codeAt(payload, from) !== 0x7b) return fail(0, 'expected "{"');
  for (let k = from; k < to; k++) {
    const c = codeAt(payload, k);
    if (c < 0x20 || c > 0x7e)
      return fail(k - from, `byte 0x${c.toString(16).padStart(2, '0')} outside printable ASCII`);
  }
  // Printable ASCII only by now, so latin1 maps each byte to the same character.
  const text = typeof payload === 'string' ? payload.slice(from, to) : payload.toString('latin1', from, to);

  let i = 1;
  const skipSpaces = () => {
    while (text.charCodeAt(i) === 0x20) i++;
  };
  const readNum = (): string => {
    const start = i;
    while (i < text.length && isNumChar(text.charCodeAt(i))) i++;
    return text.slice(start, i);
  };

  let timestamp: string | null = null;
  const pairs: RawPair[] = [];
  skipSpaces();
  while (i < text.length && text[i] !== '}') {
    if (text[i] === 't') {
      i++;
      skipSpaces();
      if (text[i] !== ':') return fail(i, 'expected ":" after "t"');
      i++;
      const match = TS.exec(text.slice(i, i + 20));
      if (!match) return fail(i, 'expected a timestamp YYYY-MM-DDThh:mm:ssZ right after "t:"');
      timestamp = match[0];
      i += match[0].length;
    } else {
      const id = readNum();
      if (id === '') return fail(i, 'expected a sensor id, "t" or "}"');
      skipSpaces();
      if (text[i] !== ':') return fail(i, 'expected ":" after the sensor id');
      i++;
      skipSpaces();
      let value: string | null;
      if (text.startsWith('null', i)) {
        value = null;
        i += 4;
      } else {
        value = readNum();
        if (value === '') return fail(i, 'expected a value (number or null)');
        if (text[i] === '.') {
          i++;
          const fraction = readNum();
          if (fraction === '') return fail(i, 'expected digits after "."');
          value = `${value}.${fraction}`;
        }
      }
      pairs.push({ id, value });
    }
    skipSpaces();
    if (text[i] === ',') i++;
    skipSpaces();
    const next = text[i];
    if (next !== undefined && next !== '}' && next !== 't' && !isNumChar(text.charCodeAt(i))) {
      return fail(i, `unexpected "${next}"`);
    }
  }
  if (text[i] !== '}') return fail(i, 'missing closing "}"');
  if (i !== text.length - 1) return fail(i + 1, 'unexpected text after "}"');
  return { ok: true, timestamp, pairs, text };
}
