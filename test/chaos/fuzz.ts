import { jsonPacket, rawPacket, sampleValues } from '../../tools/simulator/samples.js';
import { seededRandom } from '../../tools/simulator/random.js';

export interface HostileMessage {
  kind: 'raw' | 'readings';
  token: string;
  payload: Buffer;
  /** Which mutation produced it, so a failure names its family. */
  family: string;
}

const HOUR = 3_600_000;

/**
 * Thousands of hostile payloads derived from valid ones, reproducible from `seed`: truncations,
 * byte flips, invalid UTF-8, NUL and control bytes, 1 MB bodies, deeply nested JSON, non-finite
 * and huge numbers, duplicate keys, prototype-pollution keys, SQL and topic-injection strings,
 * and timestamps at every edge. Tokens are `${prefix}${i}` except for the token-injection family.
 */
export function hostileMessages(seed: number, count: number, prefix: string, now: number): HostileMessage[] {
  const random = seededRandom(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const int = (n: number) => Math.floor(random() * n);
  const at = Date.UTC(2024, 2, 1) + int(1000) * 60_000;
  const validRaw = () => rawPacket(at, sampleValues(random, random() < 0.2));
  const validJson = () => jsonPacket([{ at, values: sampleValues(random, false) }]);
  const ts = (t: string) => `{t:${t},10:50,55:20.00}`;
  const jsonAt = (t: unknown, value: unknown = 21.5, id: unknown = 55) =>
    JSON.stringify({ data: [{ recorded_at: t, sensors: [{ id, value }] }] });

  const families: [string, 'raw' | 'readings', () => string | Buffer][] = [
    ['truncated raw', 'raw', () => validRaw().slice(0, int(60))],
    ['truncated json', 'readings', () => validJson().slice(0, int(120))],
    [
      'byte flip raw',
      'raw',
      () => {
        const b = Buffer.from(validRaw());
        b[int(b.length)] = int(256);
        return b;
      },
    ],
    [
      'byte flip json',
      'readings',
      () => {
        const b = Buffer.from(validJson());
        b[int(b.length)] = int(256);
        return b;
      },
    ],
    [
      'invalid utf-8',
      'readings',
      () =>
        Buffer.concat([
          Buffer.from('{"data":[{"recorded_at":"'),
          Buffer.from([0xc3, 0x28, 0xff, 0xfe]),
          Buffer.from('"}]}'),
        ]),
    ],
    [
      'invalid utf-8 raw',
      'raw',
      () =>
        Buffer.concat([
          Buffer.from('{t:2024-03-01T00:00:00Z,55:2'),
          Buffer.from([0xff, 0xc0]),
          Buffer.from('1}'),
        ]),
    ],
    ['NUL inside raw', 'raw', () => `{t:2024-03-01T00:00:00Z,10:8\u00007}`],
    ['NUL inside json string', 'readings', () => jsonAt('2024-03-01T00:00:00Z', 'a\u0000b')],
    ['control bytes', pick(['raw', 'readings']), () => `{t:2024-03-01T00:00:00Z,\u0001\u0007\u001b10:1}`],
    ['1 MB raw', 'raw', () => `{t:2024-03-01T00:00:00Z,${'55:1.00,'.repeat(131_072)}}`],
    [
      '1 MB json',
      'readings',
      () =>
        JSON.stringify({
          data: [{ recorded_at: '2024-03-01T00:00:00Z', sensors: [], pad: 'x'.repeat(1 << 20) }],
        }),
    ],
    ['deep nesting', 'readings', () => `{"data":${'['.repeat(5000)}${']'.repeat(5000)}}`],
    [
      'deep nesting in item',
      'readings',
      () =>
        `{"data":[{"recorded_at":"2024-03-01T00:00:00Z","sensors":[{"id":55,"value":${'['.repeat(3000)}${']'.repeat(3000)}}]}]}`,
    ],
    [
      'non-finite values',
      'readings',
      () => jsonAt('2024-03-01T00:00:00Z', pick(['NaN', 'Infinity', '-Infinity', '1e400', '-1e400'])),
    ],
    [
      'huge integers',
      'readings',
      () =>
        `{"data":[{"recorded_at":"2024-03-01T00:00:00Z","sensors":[{"id":123456789012345678901234567890,"value":1},{"id":55,"value":123456789012345678901234567890}]}]}`,
    ],
    ['raw huge numbers', 'raw', () => `{t:2024-03-01T00:00:00Z,55:${'9'.repeat(400)},${'1'.repeat(30)}:1}`],
    [
      'duplicate keys',
      'readings',
      () => `{"data":[{"recorded_at":"2024-03-01T00:00:00Z","sensors":[{"id":55,"value":1}]}],"data":"gone"}`,
    ],
    ['duplicate t', 'raw', () => `{t:2024-03-01T00:00:00Z,t:2024-03-01T00:00:00,55:1}`],
    [
      '__proto__ keys',
      'readings',
      () =>
        `{"__proto__":{"polluted":true},"data":[{"recorded_at":"2024-03-01T00:00:00Z","__proto__":{"x":1},"sensors":[{"id":"__proto__","value":1},{"constructor":{"prototype":{"polluted":true}},"id":55,"value":"x"}]}]}`,
    ],
    [
      'SQL in values',
      'readings',
      () =>
        jsonAt(
          '2024-03-01T00:00:00Z',
          pick(['1; DROP TABLE readings;--', "1' OR '1'='1", '1)); DELETE FROM devices;--']),
        ),
    ],
    [
      'SQL in ids',
      'readings',
      () => jsonAt('2024-03-01T00:00:00Z', 1, pick(['55 OR 1=1', '55; DROP TABLE sensors', "55'--"])),
    ],
    ['SQL in timestamps', 'readings', () => jsonAt("2024-03-01T00:00:00Z'; DROP TABLE readings;--")],
    [
      'timestamp edges',
      pick(['raw', 'readings']),
      () => {
        const edge = pick([
          '1999-12-31T23:59:59Z',
          '0000-01-01T00:00:00Z',
          '9999-12-31T23:59:59Z',
          '2023-02-29T12:00:00Z',
          '2024-03-01T24:00:00Z',
          '2016-12-31T23:59:60Z',
          '2024-13-01T00:00:00Z',
          '2024-03-01T00:00:00+24:00',
          new Date(now + 25 * HOUR).toISOString().replace(/\.\d+Z$/, 'Z'),
          new Date(now + 48 * HOUR).toISOString().replace(/\.\d+Z$/, 'Z'),
        ]);
        return random() < 0.5 ? ts(edge) : jsonAt(edge);
      },
    ],
    ['wrong form on topic', 'raw', () => validJson()],
    ['wrong form on json topic', 'readings', () => validRaw()],
    ['empty', pick(['raw', 'readings']), () => ''],
    ['whitespace only', pick(['raw', 'readings']), () => ' \n\t '],
    [
      'unknown sensors',
      'raw',
      () =>
        `{t:2024-03-01T00:00:00Z,${Array.from({ length: 20 }, () => `${1000 + int(9000)}:1.00`).join(',')}}`,
    ],
    [
      'JSON scalars',
      'readings',
      () => pick(['null', 'true', '42', '"data"', '[]', '{}', '{"data":null}', '{"data":{}}']),
    ],
  ];

  const messages: HostileMessage[] = [];
  for (let i = 0; i < count; i++) {
    const [family, kind, make] = families[i % families.length];
    const made = make();
    messages.push({
      family,
      kind,
      token: `${prefix}${i}`,
      payload: Buffer.isBuffer(made) ? made : Buffer.from(made),
    });
  }
  // Tokens that try to escape their topic segment or reach the database: never a device here.
  const injectedTokens = [
    "x'OR'1'='1",
    'a;DROP TABLE devices',
    '..',
    '$SYS',
    'tok en',
    'ümlaut',
    '%00',
    'A'.repeat(2000),
  ];
  for (const token of injectedTokens) {
    messages.push({ family: 'token injection', kind: 'raw', token, payload: Buffer.from(validRaw()) });
  }
  return messages;
}
