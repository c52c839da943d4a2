import { setTimeout as sleep } from 'node:timers/promises';
import { randomBytes } from 'node:crypto';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import pg from 'pg';
import { deployDatabase } from '#db';
import { firehoseTopic } from '#domain';
import { withAdmin } from '../tools/harness/env.js';
import { type IngestorProcess, spawnIngestor } from '../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../tools/harness/mosquitto.js';
import { Fleet } from '../tools/simulator/fleet.js';
import { FleetPublisher } from '../tools/simulator/publisher.js';
import { percentile } from './stats.js';
import { publishPaced, registerFleet } from '../tools/simulator/traffic.js';

export interface LiveBenchOptions {
  adminUrl: string;
  devices: number;
  seed: number;
  /** Messages per second the fleet publishes (set it to half the sustained ingest rate). */
  rate: number;
  seconds: number;
  warmupSeconds: number;
  /** Subscribers connected, each to one device's firehose topic (device i mod devices). */
  subscribers: number;
  /** Of those, how many subscribe to the whole tree (sck/v1/#) instead. */
  wildcard: number;
  ingestorEnv: Record<string, string>;
  ingestorBuild: 'src' | 'dist';
  ingestorNodeArgs: string[];
  /** Where the ingestor's output goes when it stops (`--ingestor-log`). */
  ingestorLogFile?: string;
  out: string;
}

export interface LiveBenchResult {
  rate: number;
  seconds: number;
  subscribers: number;
  wildcard: number;
  /** Firehose messages received by all subscribers in the timed window. */
  delivered: number;
  /** Stored (its transaction's clock, just before commit) → subscriber, ms. */
  latencyMs: { p50: number; p99: number; max: number };
  /** Readings stored in the whole run against those the first wildcard subscriber got (each once). */
  stored: number;
  firehoseReadings: number;
  firehoseDuplicates: number;
}

const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] live: ${line}`);
const QUIET_MS = 3000;
const STALL_MS = 30_000;

/**
 * Commit → subscriber latency of the public firehose (docs/live.md): a fresh broker and database,
 * the ingestor as a process with its live outputs on, `subscribers` MQTT clients on the firehose,
 * and the fleet publishing at a steady rate. The first wildcard subscriber also checks that every
 * stored reading arrived exactly once.
 */
export async function runLiveBench(o: LiveBenchOptions): Promise<LiveBenchResult> {
  const dbName = `sck_bench_live_${randomBytes(4).toString('hex')}`;
  const dbUrl = new URL(o.adminUrl);
  dbUrl.pathname = `/${dbName}`;
  let broker: TestBroker | undefined;
  let ingestor: IngestorProcess | undefined;
  let publisher: FleetPublisher | undefined;
  const clients: MqttClient[] = [];
  try {
    broker = await startMosquitto({ maxInflightMessages: 100 });
    await deployDatabase(dbUrl.toString());
    const fleet = new Fleet({ devices: o.devices, seed: o.seed, mix: { raw: 0.9, json: 0.1 } });
    const ids = [...(await registerFleet(dbUrl.toString(), fleet.tokens)).values()].sort((a, b) => a - b);
    ingestor = await spawnIngestor(
      {
        NODE_ENV: 'production',
        DATABASE_URL: dbUrl.toString(),
        MQTT_HOST: '127.0.0.1',
        MQTT_PORT: String(broker.port),
        MQTT_CLIENT_ID: `benchlive${randomBytes(3).toString('hex')}`,
        MQTT_KEEPALIVE_SECONDS: '300',
        LOG_LEVEL: 'warn',
        INGESTOR_PORT: '0',
        HOST: '127.0.0.1',
        ...o.ingestorEnv,
      },
      { build: o.ingestorBuild, nodeArgs: o.ingestorNodeArgs },
    );
    let measuring = false;
    let lastMessageAt = Date.now();
    const latencies: number[] = [];
    const seen = new Map<string, number>();
    log(`connecting ${o.subscribers} subscribers (${o.wildcard} on sck/v1/#)`);
    for (let i = 0; i < o.subscribers; i += 50) {
      const batch = await Promise.all(
        Array.from({ length: Math.min(50, o.subscribers - i) }, async (_, j) => {
          const index = i + j;
          const client = await mqtt.connectAsync(broker!.url, {
            clientId: `live-sub-${index}`,
            protocolVersion: 4,
            clean: true,
            reconnectPeriod: 0,
            keepalive: 300,
          });
          const wildcard = index < o.wildcard;
          client.on('message', (_topic, payload) => {
            lastMessageAt = Date.now();
            if (index === 0 && wildcard) {
              const body = JSON.parse(payload.toString()) as {
                device_id: number;
                readings: { sensor_id: number; timestamp: string }[];
              };
              for (const r of body.readings) {
                const key = `${body.device_id}/${r.sensor_id}/${r.timestamp}`;
                seen.set(key, (seen.get(key) ?? 0) + 1);
              }
            }
            // The other subscribers read only stored_at: the bench's own CPU is the machine's too.
            if (measuring) latencies.push(lastMessageAt - storedAt(payload));
          });
          await client.subscribeAsync(wildcard ? 'sck/v1/#' : firehoseTopic(ids[index % ids.length]), {
            qos: 1,
          });
          return client;
        }),
      );
      clients.push(...batch);
    }
    // At QoS 0, as real kits publish: the kits' PUBACKs are load on this machine that a deployment
    // does not carry on the broker's host alone.
    publisher = await FleetPublisher.connect({ url: broker.url, connections: 4, qos: 0 });
    log(`warm-up ${o.warmupSeconds} s at ${o.rate} messages/s`);
    await publishPaced(fleet, publisher, { rate: o.rate, durationMs: o.warmupSeconds * 1000 });
    await publisher.flush();
    await waitQuiet(() => lastMessageAt);
    const sql = new pg.Client({ connectionString: dbUrl.toString() });
    await sql.connect();
    const count = async () =>
      Number((await sql.query<{ n: string }>('SELECT count(*) AS n FROM readings')).rows[0].n);
    measuring = true;
    log(`measuring ${o.seconds} s at ${o.rate} messages/s`);
    await publishPaced(fleet, publisher, { rate: o.rate, durationMs: o.seconds * 1000 });
    await publisher.flush();
    // Until the firehose has carried every stored reading (it may lag behind the burst), or has
    // carried nothing new for STALL_MS.
    await waitDelivered(count, () => seen.size);
    measuring = false;
    const stored = await count();
    await sql.end();
    const sorted = [...latencies].sort((a, b) => a - b);
    const counts = [...seen.values()];
    const result: LiveBenchResult = {
      rate: o.rate,
      seconds: o.seconds,
      subscribers: o.subscribers,
      wildcard: o.wildcard,
      delivered: latencies.length,
      latencyMs: {
        p50: percentile(sorted, 50),
        p99: percentile(sorted, 99),
        max: sorted.length > 0 ? sorted[sorted.length - 1] : Number.NaN,
      },
      stored,
      firehoseReadings: counts.length,
      firehoseDuplicates: counts.reduce((sum, n) => sum + n - 1, 0),
    };
    log(JSON.stringify(result));
    writeFileSync(
      join(import.meta.dirname, 'results', `${o.out}-live.json`),
      `${JSON.stringify(result, null, 2)}\n`,
    );
    return result;
  } finally {
    await publisher?.close();
    await Promise.all(clients.map((c) => c.endAsync().catch(() => undefined)));
    await ingestor?.kill('SIGTERM');
    if (ingestor && o.ingestorLogFile) appendFileSync(o.ingestorLogFile, ingestor.output());
    await broker?.stop();
    await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`), o.adminUrl);
  }
}

const STORED_AT = Buffer.from('"stored_at":"');

/** A firehose message's stored_at (epoch ms), found without parsing the rest. */
function storedAt(payload: Buffer): number {
  const start = payload.indexOf(STORED_AT) + STORED_AT.length;
  return Date.parse(payload.toString('latin1', start, payload.indexOf(0x22, start)));
}

/** Waits until `delivered` has reached `stored` and stays there, or has not moved for STALL_MS. */
async function waitDelivered(stored: () => Promise<number>, delivered: () => number): Promise<void> {
  let last = -1;
  let movedAt = Date.now();
  for (;;) {
    await sleep(500);
    const [n, got] = [await stored(), delivered()];
    if (got >= n && n === (await stored())) return;
    if (got !== last) [last, movedAt] = [got, Date.now()];
    else if (Date.now() - movedAt > STALL_MS) return;
  }
}

/** Waits until no firehose message has arrived for QUIET_MS (the relay has caught up). */
async function waitQuiet(lastMessageAt: () => number): Promise<void> {
  while (Date.now() - lastMessageAt() < QUIET_MS) await sleep(200);
}
