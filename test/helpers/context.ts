import { setTimeout as sleep } from 'node:timers/promises';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll } from 'vitest';
import { rawPacket, sampleValues } from '../../tools/simulator/samples.js';
import { seededRandom } from '../../tools/simulator/random.js';
import type { StoredReading, UserRole } from '#db';
import { type Json, startTestApi, type TestApi } from '../../tools/harness/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import {
  ingestorEnv,
  type IngestorProcess,
  type SpawnOptions,
  spawnIngestor,
  startInProcessIngestor,
} from '../../tools/harness/ingestor.js';
import { sendAndSettle } from './metrics.js';
import { type BrokerOptions, startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher, publishAll } from '../../tools/simulator/publisher.js';
import { type RedisOptions, startRedis, type TestRedis } from '../../tools/harness/redis.js';
import {
  type IngestWriter,
  ingestWriter,
  testData,
  type TestData,
  type TestDevice,
  type TestUser,
} from './repositories.js';
import { startTcpProxy, type TcpProxy } from '../../tools/harness/tcp-proxy.js';

/*
 * One context per test file (or describe block) for everything a test stands on, so that a test
 * reads as its intent:
 *
 *   const ctx = useContext({ broker: true, ingestor: true, api: true });
 *
 *   it('serves what a kit published', async () => {
 *     const { id, token } = await ctx.newDevice();
 *     await ctx.send({ topic: `device/sck/${token}/readings/raw`, payload: '{t:2024-01-01T00:00:00Z,55:21.5}' });
 *     const device = await (await ctx.api.request(`/v0/devices/${id}`)).json();
 *     expect(device.data.sensors[0].value).toBe(21.5);
 *   });
 *
 * The chaos suite builds its context (a fleet of kits, fault scenarios, the report's rows) on this
 * one: test/chaos/context.ts.
 */

export type InProcessIngestor = Awaited<ReturnType<typeof startInProcessIngestor>>;

export interface Message {
  topic: string;
  payload: string | Buffer;
  qos?: 0 | 1;
}

export interface ContextOptions {
  /** A private Mosquitto (`true`, or its options). */
  broker?: boolean | BrokerOptions;
  /** An ingestor in the test process on that broker (`true`, or settings over `ingestorEnv`). */
  ingestor?: boolean | Record<string, string>;
  /** The REST API in the test process (`true`, or settings over `startTestApi`'s). */
  api?: boolean | Record<string, string>;
}

/**
 * Everything an integration test stands on: a fresh database, and on demand a broker, ingestors,
 * the API, Redis, proxies and publishers. Whatever it starts it stops, last started first.
 */
export interface TestContext {
  readonly db: TestDatabase;
  readonly broker: TestBroker;
  /** The ingestor `options.ingestor` started. */
  readonly ingestor: InProcessIngestor;
  readonly api: TestApi;
  /** Factories and reads through the apps' repositories. */
  readonly data: TestData;

  newDevice(token?: string, fields?: { name?: string; ownerId?: number | null }): Promise<TestDevice>;
  newUser(username: string, role?: UserRole): Promise<TestUser>;
  storeReadings(readings: StoredReading[]): Promise<void>;
  /** POST /v0/devices as the user with `token`: the created device's JSON (throws unless 201). */
  postDevice(token: string, body: Record<string, unknown>): Promise<Json>;
  /** An ingestor's database side, writing through the ingest repository on a pool of its own. */
  ingestWriter(options?: { liveOutbox?: boolean }): IngestWriter;
  /** Rows in `readings` (of one device, or all) and how many distinct (device, sensor, instant). */
  readingCount(deviceId?: number): Promise<{ rows: number; distinct: number }>;

  /**
   * Publishes at QoS 1 (unless a message says 0) on the context's own publisher. With `settle` (the
   * default when an ingestor runs), waits until the ingestor last started has stored, recorded or
   * parked every one of them.
   */
  send(messages: Message | Message[], options?: { settle?: boolean }): Promise<void>;
  /** A further device-side MQTT connection to the broker. */
  connect(clientId?: string): Promise<MqttClient>;
  /**
   * The settings of an ingestor on this database and broker, fixed once (client id, share group,
   * queue prefix), so that an ingestor started again with them takes up the same sessions.
   */
  ingestorEnv(overrides?: Record<string, string>): Record<string, string>;
  startIngestor(overrides?: Record<string, string>): Promise<InProcessIngestor>;
  /** An ingestor as its own process (so it can be SIGKILLed). */
  spawnIngestor(overrides?: Record<string, string>, options?: SpawnOptions): Promise<IngestorProcess>;
  /** Waits until `ingestor`'s metric reaches `atLeast`; returns its value. */
  metricAtLeast(
    ingestor: { metric(name: string): Promise<number> },
    name: string,
    atLeast: number,
    options?: { what?: string; timeoutMs?: number; intervalMs?: number },
  ): Promise<number>;
  startApi(overrides?: Record<string, string>): Promise<TestApi>;
  startRedis(options?: RedisOptions): Promise<TestRedis>;
  /** A TCP proxy in front of the database, and the database URL through it. */
  databaseProxy(): Promise<{ proxy: TcpProxy; url: string }>;
  startProxy(targetPort: number): Promise<TcpProxy>;
  /**
   * A fault of `ms`: `cut()`, wait, `restore()`. Returns how much `count` grew while the fault
   * lasted (from just after the cut to just before the restore; 0 without `count`).
   */
  outage(fault: {
    cut: () => Promise<void> | void;
    restore: () => Promise<void> | void;
    ms: number;
    count?: () => Promise<number>;
  }): Promise<number>;
  /** Runs `cleanup` when the context closes (last registered first). */
  defer(cleanup: () => unknown): void;
  close(): Promise<void>;
}

function missing(what: string, option: string): never {
  throw new Error(`this test context has no ${what}: pass { ${option} } to useContext/createContext`);
}

/** A context started now; the caller closes it. `useContext` is the usual way in. */
export async function createContext(options: ContextOptions = {}): Promise<TestContext> {
  const cleanups: (() => unknown)[] = [];
  const defer = (cleanup: () => unknown) => void cleanups.push(cleanup);
  const db = await createTestDatabase();
  defer(() => db.drop());
  const data = testData(db.url);
  defer(() => data.close());
  let broker: TestBroker | undefined;
  let ingestor: InProcessIngestor | undefined;
  let api: TestApi | undefined;
  let publisher: MqttClient | undefined;
  /** The port of the ingestor started last, whose metrics `send` settles on. */
  let settleOn: number | undefined;

  const needBroker = () => broker ?? missing('broker', 'broker: true');
  const ctx: TestContext = {
    db,
    data,
    get broker() {
      return needBroker();
    },
    get ingestor() {
      return ingestor ?? missing('ingestor', 'ingestor: true');
    },
    get api() {
      return api ?? missing('API', 'api: true');
    },
    newDevice: (token, fields = {}) => data.newDevice({ token, ...fields }),
    newUser: (username, role) => data.newUser(username, role),
    storeReadings: (readings) => data.storeReadings(readings),
    async postDevice(token, body) {
      const response = await ctx.api.request('/v0/devices', { method: 'POST', token, body });
      if (response.status !== 201) {
        throw new Error(`POST /v0/devices answered ${response.status}: ${await response.text()}`);
      }
      return response.json();
    },
    ingestWriter(writerOptions) {
      const writer = ingestWriter(db.url, writerOptions);
      defer(() => writer.close());
      return writer;
    },
    async readingCount(deviceId) {
      const { rows } = await db.sql.query<{ rows: number; distinct: number }>(
        `SELECT count(*)::int AS rows, count(DISTINCT (device_id, sensor_id, recorded_at))::int AS distinct
           FROM readings WHERE $1::int IS NULL OR device_id = $1`,
        [deviceId ?? null],
      );
      return rows[0];
    },
    async send(messages, { settle = settleOn !== undefined } = {}) {
      const list = Array.isArray(messages) ? messages : [messages];
      publisher ??= await ctx.connect();
      if (!settle) return publishAll(publisher, list);
      if (settleOn === undefined) missing('ingestor to settle on', 'ingestor: true');
      await sendAndSettle(settleOn, publisher, list);
    },
    async connect(clientId) {
      const client = await connectPublisher(needBroker().port, clientId);
      defer(() => client.endAsync());
      return client;
    },
    // On the context's broker unless the settings name another (MQTT_PORT).
    ingestorEnv: (overrides = {}) =>
      ingestorEnv(db.url, Number(overrides.MQTT_PORT ?? needBroker().port), overrides),
    async startIngestor(overrides = {}) {
      const started = await startInProcessIngestor(ctx.ingestorEnv(overrides));
      defer(() => started.stop());
      settleOn = started.port;
      return started;
    },
    async spawnIngestor(overrides = {}, spawnOptions = {}) {
      const child = await spawnIngestor(ctx.ingestorEnv(overrides), spawnOptions);
      defer(() => child.kill());
      settleOn = child.port;
      return child;
    },
    metricAtLeast: (target, name, atLeast, { what = `${name} ≥ ${atLeast}`, ...timing } = {}) =>
      waitFor(
        () => target.metric(name),
        (n) => n >= atLeast,
        { what, ...timing },
      ),
    async startApi(overrides = {}) {
      const started = await startTestApi(db, overrides);
      defer(() => started.stop());
      return started;
    },
    async startRedis(redisOptions = {}) {
      const redis = await startRedis(redisOptions);
      defer(() => redis.stop());
      return redis;
    },
    async databaseProxy() {
      const proxy = await ctx.startProxy(Number(new URL(db.url).port || 5432));
      const url = new URL(db.url);
      url.port = String(proxy.port);
      return { proxy, url: url.toString() };
    },
    async startProxy(targetPort) {
      const proxy = await startTcpProxy(targetPort);
      defer(() => proxy.close());
      return proxy;
    },
    async outage({ cut, restore, ms, count }) {
      await cut();
      const before = count ? await count() : 0;
      await sleep(ms);
      const during = count ? (await count()) - before : 0;
      await restore();
      return during;
    },
    defer,
    async close() {
      const failures: unknown[] = [];
      for (const cleanup of cleanups.splice(0).reverse()) {
        try {
          await cleanup();
        } catch (error) {
          failures.push(error);
        }
      }
      if (failures.length > 0) throw new AggregateError(failures, 'closing the test context failed');
    },
  };
  try {
    if (options.broker) {
      broker = await startMosquitto(options.broker === true ? {} : options.broker);
      defer(() => broker!.stop());
    }
    if (options.ingestor) {
      ingestor = await ctx.startIngestor(options.ingestor === true ? {} : options.ingestor);
    }
    if (options.api) api = await ctx.startApi(options.api === true ? {} : options.api);
  } catch (error) {
    await ctx.close().catch(() => undefined);
    throw error;
  }
  return ctx;
}

/**
 * The test file's (or describe block's) context: started before its tests, closed after them.
 * Its parts are read inside hooks and tests (`ctx.api`, `ctx.db`), once it has started.
 */
export function useContext(options: ContextOptions = {}): TestContext {
  return useStarted(() => createContext(options));
}

/** What `start` resolves to, started in `beforeAll` and closed in `afterAll`, read through a proxy. */
export function useStarted<T extends { close(): Promise<void> }>(start: () => Promise<T>): T {
  let started: T | undefined;
  beforeAll(async () => {
    started = await start();
  });
  afterAll(() => started?.close());
  return new Proxy({} as T, {
    get: (_, key) => {
      if (!started) throw new Error(`the test context is read (.${String(key)}) before it started`);
      const value: unknown = Reflect.get(started, key, started);
      return typeof value === 'function' ? value.bind(started) : value;
    },
  });
}

/**
 * Raw messages of `tokens.length` kits, `perKit` readings each, `stepMs` apart from `start`,
 * with seeded sample values (8 sensors a reading), so a failing run replays the same traffic.
 */
export function kitTraffic(
  tokens: string[],
  perKit: number,
  { start, stepMs = 1000, seed = 1 }: { start: number; stepMs?: number; seed?: number },
): Message[] {
  const random = seededRandom(seed);
  return tokens.flatMap((token) =>
    Array.from({ length: perKit }, (_, i) => ({
      topic: `device/sck/${token}/readings/raw`,
      payload: rawPacket(start + i * stepMs, sampleValues(random, false)),
    })),
  );
}

/** Every acknowledged reading stored exactly once, with the right latest values. */
export const NOTHING_LOST = { lost: 0, duplicated: 0, wrongLatest: 0 } as const;
