import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, expect, it } from 'vitest';
import { type RunningApi, startApi } from '../../apps/api/src/bootstrap.js';
import { loadApiConfig } from '#config';
import { seededRandom } from '../../tools/simulator/random.js';
import { recordChaosRow } from '../../tools/harness/chaos-results.js';
import { useContext } from '../helpers/context.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const REQUESTS = Number(process.env.API_FUZZ_REQUESTS ?? 3000);
/** Readings of each device the expensive family aims at: one a second, ending now. */
const HEAVY_ROWS = Number(process.env.API_FUZZ_HEAVY_ROWS ?? 1_000_000);

const ctx = useContext();
let api: RunningApi;
let deviceId: number;
let heavyId: number;
let privateId: number;

/** HEAVY_ROWS readings of sensor 55 for `id`, in one set-based statement, and its component. */
async function seedHeavy(id: number): Promise<void> {
  await ctx.db.sql.query(
    `INSERT INTO readings (device_id, sensor_id, recorded_at, value)
     SELECT $1, 55, date_trunc('second', now()) - make_interval(secs => g), g % 1000
       FROM generate_series(1, $2::int) g`,
    [id, HEAVY_ROWS],
  );
  await ctx.db.sql.query(
    'INSERT INTO device_sensors (device_id, sensor_id) VALUES ($1, 55) ON CONFLICT DO NOTHING',
    [id],
  );
}

beforeAll(async () => {
  deviceId = (await ctx.newDevice('apifz1')).id;
  await ctx.db.sql.query(
    `INSERT INTO readings (device_id, sensor_id, recorded_at, value)
     SELECT $1, 55, now() - make_interval(mins => g), g FROM generate_series(1, 500) g`,
    [deviceId],
  );
  heavyId = (await ctx.newDevice('apifzheavy')).id;
  privateId = (await ctx.newDevice('apifzprivate')).id;
  await ctx.db.sql.query('UPDATE devices SET is_private = true WHERE id = $1', [privateId]);
  await seedHeavy(heavyId);
  await seedHeavy(privateId);
  await ctx.db.sql.query('ANALYZE readings');
  api = await startApi(
    loadApiConfig({
      DATABASE_URL: ctx.db.url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'fatal',
      RATE_LIMIT_PER_MINUTE: '1000000',
    }),
  );
  ctx.defer(() => api.app.close());
}, 600_000);

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
    '/v0/forward',
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

/** Median and maximum of `values`. */
function medianAndMax(values: number[]): { median: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], max: sorted[sorted.length - 1] };
}

it(`keeps a cheap request fast while guests send expensive-but-valid readings requests (${HEAVY_ROWS} rows a device)`, async () => {
  const base = `http://127.0.0.1:${api.port}`;
  const nowSeconds = Math.floor(Date.now() / 1000);
  const dayAgo = nowSeconds - 86_400;
  const readings = (id: number, query: string) => `${base}/v0/devices/${id}/readings?sensor_id=55&${query}`;
  // What each expensive request may answer: valid ones 200 (or 503 past the statement timeout,
  // 429 when too many wait), over-limit ones 400, the private device 403 to a guest.
  const family: { url: string; allowed: number[] }[] = [
    { url: readings(heavyId, 'rollup=1s&from=0&to=999999999999'), allowed: [400] },
    { url: readings(heavyId, 'rollup=1s&from=0'), allowed: [400] },
    { url: readings(heavyId, `rollup=3d&from=0&to=${nowSeconds + 60}`), allowed: [200, 429, 503] },
    {
      url: readings(heavyId, `rollup=3d&function=first&from=0&to=${nowSeconds + 60}`),
      allowed: [200, 429, 503],
    },
    { url: readings(heavyId, `rollup=10s&from=${dayAgo}&to=${nowSeconds}`), allowed: [200, 429, 503] },
    {
      url: readings(heavyId, `rollup=2m&function=last&from=${nowSeconds - 13 * 86_400}`),
      allowed: [200, 429, 503],
    },
    { url: readings(privateId, 'rollup=1s&from=0&to=999999999999'), allowed: [403, 400] },
    { url: readings(privateId, `rollup=3d&from=0&to=${nowSeconds + 60}`), allowed: [403] },
  ];
  const statuses = new Map<number, number>();
  const unexpected: string[] = [];
  let attacking = true;
  let sent = 0;
  const attacker = async (offset: number) => {
    for (let i = offset; attacking; i++) {
      const { url, allowed } = family[i % family.length];
      const response = await fetch(url);
      await response.arrayBuffer();
      sent++;
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (!allowed.includes(response.status)) unexpected.push(`${response.status} ${url}`);
    }
  };
  const baselineRss = process.memoryUsage().rss;
  let peakRss = baselineRss;
  const rssSampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 50);
  const attackers = Array.from({ length: 12 }, (_, i) => attacker(i));
  const cheap: number[] = [];
  try {
    // Once the attack is under way (every attacker has sent at least one request)…
    while (sent < 12) await sleep(20);
    // …an unrelated cheap request, a few times in a row while the attack runs.
    for (let i = 0; i < 9; i++) {
      const started = performance.now();
      const response = await fetch(`${base}/v0/sensors/55`);
      await response.arrayBuffer();
      cheap.push(performance.now() - started);
      expect(response.status).toBe(200);
      await sleep(100);
    }
  } finally {
    attacking = false;
    await Promise.all(attackers);
    clearInterval(rssSampler);
  }
  const { median, max } = medianAndMax(cheap);
  const rssGrowthMb = Math.round((peakRss - baselineRss) / 1024 / 1024);
  recordChaosRow({
    scenario: `REST expensive-but-valid: 12 guests × ${sent} requests over ${HEAVY_ROWS} rows (${[...statuses].map(([s, n]) => `${s}x${n}`).join(' ')}); GET /v0/sensors/55 median ${Math.round(median)} ms, max ${Math.round(max)} ms; API RSS +${rssGrowthMb} MB`,
    faults: sent,
    sent: 0,
    acknowledged: 0,
    stored: 0,
    lost: 0,
    duplicated: 0,
    wrongLatest: 0,
    badTried: sent,
    badRecorded: sent - unexpected.length,
    peakRssMb: Math.round(peakRss / 1024 / 1024),
  });
  expect(unexpected).toEqual([]);
  expect(statuses.get(200) ?? 0).toBeGreaterThan(0);
  // The target is a median under 100 ms (reported in the row); the bound asserted leaves room for
  // a loaded CI machine, and still fails when heavy rollups starve cheap requests (seconds).
  expect(median).toBeLessThan(250);
  // The API answers from bounded buckets: its memory does not follow the rows scanned.
  expect(rssGrowthMb).toBeLessThan(256);
});
