import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { newDevice } from '../helpers/database.js';
import { ingestorEnv, startInProcessIngestor } from '../../tools/harness/ingestor.js';
import { sendAndSettle } from '../helpers/metrics.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { startPrometheus, type TestPrometheus } from '../helpers/prometheus.js';
import { connectPublisher } from '../../tools/simulator/publisher.js';

let db: TestDatabase;
let broker: TestBroker;
let ingestor: Awaited<ReturnType<typeof startInProcessIngestor>>;
let api: TestApi;
let layer: ReturnType<typeof testDataLayer>;
let kit: MqttClient;
let prometheus: TestPrometheus;

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startMosquitto();
  ingestor = await startInProcessIngestor(ingestorEnv(db.url, broker.port));
  api = await startTestApi(db);
  layer = testDataLayer(db);
  kit = await connectPublisher(broker.port);
  prometheus = await startPrometheus({
    api: `127.0.0.1:${api.port}`,
    ingestor: `127.0.0.1:${ingestor.port}`,
  });
});

afterAll(async () => {
  await prometheus?.stop();
  await kit?.endAsync();
  await ingestor?.stop();
  await broker?.stop();
  await api?.stop();
  await layer?.close();
  await db?.drop();
});

it('a real Prometheus scrapes both apps and a PromQL query returns the stored readings count', async () => {
  const token = 'promscrape01';
  await newDevice(db, token);
  const start = Date.parse('2024-06-01T00:00:00Z');
  const messages = Array.from({ length: 25 }, (_, i) => ({
    topic: `device/sck/${token}/readings/raw`,
    payload: `{t:${new Date(start + i * 60_000).toISOString().replace('.000Z', 'Z')},55:${20 + i / 10},56:${50 + i / 10}}`,
  }));
  await sendAndSettle(ingestor.port, kit, messages);
  const { rows } = await db.sql.query<{ n: string }>('SELECT count(*) AS n FROM readings');
  expect(Number(rows[0].n)).toBe(50);

  // Both targets are up, as Prometheus itself sees them.
  const up = await waitFor(
    () => prometheus.query('up'),
    (samples) => samples.length === 2 && samples.every((s) => s.value === 1),
    { what: 'both scrape targets up', timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(up.map((s) => s.metric.job).sort()).toEqual(['api', 'ingestor']);

  // The stored readings count, through PromQL.
  const stored = await waitFor(
    () => prometheus.query('sum(sck_ingest_readings_stored_total)'),
    (samples) => samples[0]?.value === 50,
    { what: 'sck_ingest_readings_stored_total = 50 in Prometheus', timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(stored[0].value).toBe(50);

  // The API's request histogram carries route patterns and statuses; its DB pool and dependency
  // gauges, and the ingestor's job counts per queue, are there too.
  const owner = await layer.newUser('prom-owner');
  const listed = await api.request('/v0/devices', { token: owner.token });
  expect(listed.status).toBe(200);
  expect((await api.request('/v0/devices/999999')).status).toBe(404);
  const requests = await waitFor(
    () => prometheus.query('sum by (route, status) (sck_api_request_duration_seconds_count{job="api"})'),
    (samples) =>
      samples.some((s) => s.metric.route === '/v0/devices' && s.metric.status === '200') &&
      samples.some((s) => s.metric.route === '/v0/devices/:id' && s.metric.status === '404'),
    { what: 'API request durations by route in Prometheus', timeoutMs: 30_000, intervalMs: 500 },
  );
  expect(requests.length).toBeGreaterThanOrEqual(2);
  const postgres = await prometheus.query('sck_dependency_up{dependency="postgres"}');
  expect(postgres.map((s) => [s.metric.job, s.value]).sort()).toEqual([
    ['api', 1],
    ['ingestor', 1],
  ]);
  const queues = await prometheus.query('sck_queue_jobs{job="ingestor", state="failed"}');
  expect(queues.map((s) => s.metric.queue).sort()).toEqual([
    'device-lifecycle',
    'maintenance',
    'store-forward',
  ]);
  const ackLatency = await prometheus.query('sck_ingest_commit_to_ack_seconds_count');
  expect(ackLatency[0]?.value).toBe(25);
});

const DEPLOY = join(import.meta.dirname, '..', '..', 'deploy');
/**
 * Names the queries may use that the apps do not expose: Prometheus's own `up`, and the live
 * members gauge the ingestor's group heartbeat provides.
 */
const NOT_FROM_THE_APPS = new Set(['up']);

/** Every series name an exposition declares (# TYPE), with a histogram's _bucket/_sum/_count. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
  }
  return names;
}

/** Metric names in PromQL expressions: identifiers not followed by `(` and not label names or keywords. */
function queriedNames(expressions: string[]): Set<string> {
  const names = new Set<string>();
  for (const expr of expressions) {
    const bare = expr
      .replace(/\{[^}]*\}/g, '')
      .replace(/\[[^\]]*\]/g, '')
      .replace(/"[^"]*"/g, '');
    const withoutGrouping = bare.replace(
      /\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g,
      '',
    );
    for (const [name] of withoutGrouping.matchAll(/\b[a-z_][a-z0-9_]*\b(?!\s*\()/g)) {
      if (['and', 'or', 'unless', 'bool', 'offset'].includes(name)) continue;
      names.add(name);
    }
  }
  return names;
}

it('every metric the alert rules and the Grafana dashboard query is exposed by the apps', async () => {
  const alerts = readFileSync(join(DEPLOY, 'prometheus', 'alerts.yml'), 'utf8');
  const alertExprs = [...alerts.matchAll(/expr: \|?\n?([\s\S]*?)\n\s+(?:for|labels):/g)].map((m) => m[1]);
  const dashboard = JSON.parse(
    readFileSync(join(DEPLOY, 'grafana', 'dashboards', 'sck-ingest.json'), 'utf8'),
  ) as {
    panels: { targets: { expr: string }[] }[];
  };
  const dashboardExprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
  expect(alertExprs).toHaveLength(8);
  expect(dashboardExprs.length).toBeGreaterThan(10);

  const exposed = new Set([
    ...exposedNames(await (await fetch(`${api.url}/metrics`)).text()),
    ...exposedNames(await (await fetch(`http://127.0.0.1:${ingestor.port}/metrics`)).text()),
  ]);
  const queried = queriedNames([...alertExprs, ...dashboardExprs]);
  expect(queried).toContain('sck_ingest_readings_stored_total');
  expect(queried).toContain('process_resident_memory_bytes');
  const missing = [...queried].filter((name) => !exposed.has(name) && !NOT_FROM_THE_APPS.has(name));
  expect(missing).toEqual([]);
});
