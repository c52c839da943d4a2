import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { loadApiConfig } from '#config';
import { deployDatabase } from '#db';
import { startApi } from '../../apps/api/src/bootstrap.js';
import { TEST_DATABASE_PREFIX, databaseUrl, withAdmin } from '../../tools/harness/env.js';
import { type BenchContext, startPhase } from '../context.js';
import { log } from '../processes.js';
import { percentile } from '../stats.js';
import type { Target } from '../target.js';

/** Located, published devices on the phase's map: the fleet size the map is specified for. */
const WORLD_MAP_DEVICES = 50_000;

export interface WorldMapTiming {
  devices: number;
  /** JSON bytes, and what went over the wire (gzip, as browsers ask for it). */
  bytes: number;
  wireBytes: number;
  /** The first request, which builds the cached answer. */
  coldMs: number;
  runs: number;
  p50: number;
  p95: number;
}

/** `count` public devices with a location that have published, as a real fleet's map shows. */
export async function seedWorldMapDevices(sql: pg.Pool | pg.Client, count: number): Promise<void> {
  await sql.query(
    `INSERT INTO devices (token, name, description, latitude, longitude, exposure, city, country_code,
                          user_tags, hardware_info, last_reading_at, created_at)
     SELECT 'wm' || g, 'Kit ' || g, 'A kit on a balcony', 35 + (g % 2000) / 100.0, -9 + (g % 3000) / 100.0,
            CASE WHEN g % 3 = 0 THEN 'indoor' ELSE 'outdoor' END, 'Barcelona', 'ES',
            ARRAY['Barcelona', 'Air'], '{"hw_ver":"2.1","sam_ver":"0.9.8"}'::jsonb,
            now() - make_interval(mins => g % 5000), now() - make_interval(days => g % 900)
       FROM generate_series(1, $1::int) AS g`,
    [count],
  );
  await sql.query('ANALYZE devices');
}

/** One request to its last byte, as a browser sends it (gzip accepted); the body is not decoded. */
function timedGet(url: string, acceptGzip: boolean): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(url, { headers: acceptGzip ? { 'accept-encoding': 'gzip' } : {} }, (response) => {
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () =>
        response.statusCode === 200
          ? resolve({ ms: performance.now() - started, bytes })
          : reject(new Error(`world_map answered ${response.statusCode}`)),
      );
    }).on('error', reject);
  });
}

/**
 * Warm p50/p95 of `GET /v0/devices/world_map` to the last byte (after one request builds the
 * cache), gzip accepted as browsers do.
 */
export async function measureWorldMap(apiUrl: string, devices: number, runs = 100): Promise<WorldMapTiming> {
  const url = `${apiUrl}/v0/devices/world_map`;
  const timed = () => timedGet(url, true);
  const cold = await timed();
  const plain = await timedGet(url, false);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) times.push((await timed()).ms);
  return {
    devices,
    bytes: plain.bytes,
    wireBytes: cold.bytes,
    coldMs: cold.ms,
    runs,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
  };
}

/** The bench's phase: seeds `devices` located kits into `dbUrl` and times the map through the API. */
export async function benchWorldMap(dbUrl: string, sql: pg.Pool, devices: number): Promise<WorldMapTiming> {
  await seedWorldMapDevices(sql, devices);
  const api = await startApi(
    loadApiConfig({
      DATABASE_URL: dbUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      RATE_LIMIT_PER_MINUTE: '1000000',
    }),
  );
  try {
    return await measureWorldMap(`http://127.0.0.1:${api.port}`, devices);
  } finally {
    await api.app.close();
  }
}

/** The world map of 50,000 located kits that have published, warm, to the last byte. */
export async function worldMapPhase(context: BenchContext, main: Target): Promise<WorldMapTiming> {
  startPhase(context, 'worldMap');
  const worldMap = await benchWorldMap(main.databaseUrl, main.sql, WORLD_MAP_DEVICES);
  log(
    `world_map: ${worldMap.devices} devices, warm p50 ${worldMap.p50.toFixed(1)} ms p95 ${worldMap.p95.toFixed(1)} ms`,
  );
  return worldMap;
}

/** Alone: `node --conditions=source --import @swc-node/register/esm-register bench/phases/world-map.ts [devices]`. */
async function main() {
  const devices = Number(process.argv[2] ?? 50_000);
  const name = `${TEST_DATABASE_PREFIX}worldmap_bench`;
  const url = databaseUrl(name);
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  await deployDatabase(url);
  const api = await startApi(
    loadApiConfig({
      DATABASE_URL: url,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'error',
      RATE_LIMIT_PER_MINUTE: '1000000',
    }),
  );
  try {
    await withAdmin((client) => seedWorldMapDevices(client, devices), url);
    const timing = await measureWorldMap(`http://127.0.0.1:${api.port}`, devices);
    console.log(
      `world_map, ${timing.devices} devices, ${(timing.bytes / 1e6).toFixed(1)} MB of JSON (${(timing.wireBytes / 1e6).toFixed(1)} MB gzipped): first (builds the cache) ${timing.coldMs.toFixed(0)} ms; warm p50 ${timing.p50.toFixed(1)} ms, p95 ${timing.p95.toFixed(1)} ms over ${timing.runs} requests (target p95 ≤ 100 ms)`,
    );
  } finally {
    await api.app.close();
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
