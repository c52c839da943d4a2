import { afterAll, beforeAll, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../../apps/api/src/bootstrap.js';
import { loadApiConfig } from '../../libs/config/src/index.js';
import { createTestDatabase, newDevice, type TestDatabase } from '../helpers/database.js';
import { seededRandom } from './fleet.js';
import { recordChaosRow } from './report.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const REQUESTS = Number(process.env.API_FUZZ_REQUESTS ?? 3000);

let db: TestDatabase;
let api: RunningApi;
let deviceId: number;

beforeAll(async () => {
  db = await createTestDatabase();
  deviceId = await newDevice(db, 'apifz1');
  await db.sql.query(
    `INSERT INTO readings (device_id, sensor_id, recorded_at, value)
     SELECT $1, 55, now() - make_interval(mins => g), g FROM generate_series(1, 500) g`,
    [deviceId],
  );
  api = await startApi(
    loadApiConfig({
      DATABASE_URL: db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'fatal',
      RATE_LIMIT_PER_MINUTE: '1000000',
    }),
  );
});
afterAll(async () => {
  await api?.app.close();
  await db?.drop();
});

it(`answers ${REQUESTS} hostile query strings (seed ${SEED}) without a single 5xx`, async () => {
  const random = seededRandom(SEED);
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)];
  const hostile = [
    '',
    '-1',
    '0',
    '1e400',
    'NaN',
    'Infinity',
    '99999999999999999999999',
    '1.5',
    '0x10',
    "1' OR '1'='1",
    '1; DROP TABLE devices;--',
    '%00',
    '%FF%FE',
    '\u0000',
    'ümlaut',
    '../../etc/passwd',
    '[]',
    '{}',
    'null',
    'true',
    '2020-13-45',
    '2020-01-01T25:00:00Z',
    '9999999999999',
    '-9999999999',
    '10q',
    '1h1h',
    '0h',
    '100000000y',
    'avg;',
    '__proto__',
    'constructor',
    'a'.repeat(5000),
    '1,2',
    '91,181',
    '-91,0',
    '41.39,2.19,3',
    ',',
    '1e309,1',
  ];
  const params = [
    'page',
    'per_page',
    'q[name_cont]',
    'q[id_in][]',
    'q[state_eq]',
    'q[last_reading_at_gt]',
    'q[last_reading_at_lt]',
    'q[owner_username_eq]',
    'with_tags',
    'near',
    'within',
    'sensor_id',
    'sensor_key',
    'rollup',
    'function',
    'from',
    'to',
    'access_token',
    'limit',
    'relative',
    'all_intervals',
    'q[name_eq]',
    'q[created_at_gt]',
    'q[owner_id_eq]',
    'q[tags_name_in]',
    'q[tags_name_in][]',
    'q[postprocessing_id_not_null]',
    'q[device_id_eq]',
    'q',
    '__proto__[x]',
    'q[__proto__]',
  ];
  const paths = [
    '/v0/devices',
    `/v0/devices/${deviceId}`,
    `/v0/devices/${deviceId}/readings`,
    `/v0/devices/${deviceId}/ingest_errors`,
    '/v0/sensors',
    '/v0/sensors/55',
    `/v0/devices/${pick(hostile)}`,
    `/v0/devices/${pick(hostile)}/readings`,
    `/v0/sensors/${pick(hostile)}`,
    '/v0/devices/world_map',
    '/v0/devices/fresh_world_map',
    '/v0/measurements',
    `/v0/measurements/${pick(hostile)}`,
    '/v0/components',
    `/v0/components/${pick(hostile)}`,
    '/v0/search',
    `/v0/users/${encodeURIComponent(pick(hostile))}`,
    `/v0/devices/${deviceId}/readings.csv`,
    `/v0/devices/${deviceId}/readings/csv_archive`,
  ];
  const statuses = new Map<number, number>();
  const failures: string[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const query = Array.from({ length: 1 + Math.floor(random() * 5) }, () => {
      const value = random() < 0.3 ? String(Math.floor(random() * 1e6)) : pick(hostile);
      return `${encodeURIComponent(pick(params))}=${encodeURIComponent(value)}`;
    });
    if (random() < 0.5)
      query.push(
        'sensor_id=55',
        `rollup=${pick(['1h', '10m', '1d', '1w', '1M', '1y', '30s', '0s', '250ms'])}`,
      );
    if (random() < 0.2) query.push('all_intervals=true');
    const url = `http://127.0.0.1:${api.port}${pick(paths)}?${query.join('&')}`;
    const response = await fetch(url, {
      // Header values must be visible ASCII (fetch refuses others before sending anything).
      headers:
        random() < 0.2
          ? { authorization: `Bearer ${encodeURIComponent(pick(hostile)).slice(0, 200) || 'x'}` }
          : {},
    });
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    if (response.status >= 500)
      failures.push(`${response.status} ${url.slice(0, 200)}: ${(await response.text()).slice(0, 200)}`);
    else await response.arrayBuffer();
  }
  recordChaosRow({
    scenario: `REST fuzz: ${REQUESTS} requests, ${[...statuses].map(([s, n]) => `${s}x${n}`).join(' ')}`,
    faults: 0,
    sent: 0,
    acknowledged: 0,
    stored: 0,
    lost: 0,
    duplicated: 0,
    wrongLatest: 0,
    badTried: REQUESTS,
    badRecorded: REQUESTS - failures.length,
  });
  expect(failures).toEqual([]);
});
