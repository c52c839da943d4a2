import { createContext, type TestContext, useStarted } from '../helpers/context.js';
import type { IngestorProcess, SpawnOptions } from '../../tools/harness/ingestor.js';
import type { BrokerOptions } from '../../tools/harness/mosquitto.js';
import type { RedisOptions, TestRedis } from '../../tools/harness/redis.js';
import type { TcpProxy } from '../../tools/harness/tcp-proxy.js';
import { waitFor } from '../../tools/harness/poll.js';
import { SteadyFleet } from '../../tools/simulator/steady-fleet.js';
import { recordChaosRow } from '../../tools/harness/chaos-results.js';
import type { TestDatabase } from '../../tools/harness/database.js';
import { verifyStored, type Verdict } from './verify.js';

type FleetOptions = { seed?: number; reconnectMs?: number; qos?: 0 | 1; startAt?: number };
type RowExtra = { peakRssMb?: number; badTried?: number; badRecorded?: number; realRatePct?: number };

/** The test context with a fleet of registered kits, chaos-ready ingestors and the report's rows. */
export interface ChaosContext extends TestContext {
  tokens: string[];
  /** An ingestor process with the chaos defaults (8 connections, one share group, broker credentials). */
  spawn(overrides?: Record<string, string>, options?: SpawnOptions): Promise<IngestorProcess>;
  fleet(intervalMs: number, options?: FleetOptions): SteadyFleet;
  /** A fleet already publishing. */
  startFleet(intervalMs: number, options?: FleetOptions): Promise<SteadyFleet>;
  /** The fleet publishing every 100 ms, once `ingestor` has committed `batches` batches of it. */
  trafficOn(ingestor: IngestorProcess, batches: number, options?: FleetOptions): Promise<SteadyFleet>;
  /**
   * An ingestor reaching Postgres through a proxy (so a test can cut it off) and spilling to a
   * Redis of its own.
   */
  spawnSpilling(
    overrides: Record<string, string>,
    redisOptions?: RedisOptions,
  ): Promise<{ ingestor: IngestorProcess; proxy: TcpProxy; redis: TestRedis }>;
  /** Waits until every acknowledged reading is stored (or the deadline passes), then checks rows. */
  settle(fleet: SteadyFleet, timeoutMs?: number): Promise<Verdict>;
  record(scenario: string, faults: number, fleet: SteadyFleet, verdict: Verdict, extra?: RowExtra): void;
  /** Stops the fleet, settles and records the scenario's row: the end of every fault scenario. */
  finish(
    fleet: SteadyFleet,
    scenario: string,
    faults: number,
    options?: { timeoutMs?: number; extra?: RowExtra },
  ): Promise<Verdict>;
}

export interface ChaosOptions {
  devices: number;
  broker?: BrokerOptions;
}

export async function chaosContext(options: ChaosOptions): Promise<ChaosContext> {
  const ctx = await createContext({ broker: options.broker ?? true });
  const { broker, db } = ctx;
  const tokens = Array.from({ length: options.devices }, (_, i) => `ch${String(i).padStart(4, '0')}`);
  for (const t of tokens) await ctx.newDevice(t);
  await createFleetPartitions(db);
  const settle = async (fleet: SteadyFleet, timeoutMs = 60_000) =>
    waitFor(
      () => verifyStored(db, fleet.acked),
      (v) => v.lost === 0,
      { timeoutMs, intervalMs: 500, what: 'every acknowledged reading to be stored' },
    ).catch(() => verifyStored(db, fleet.acked, true));
  const record: ChaosContext['record'] = (scenario, faults, fleet, verdict, extra = {}) =>
    recordChaosRow({
      scenario,
      faults,
      sent: fleet.sent,
      acknowledged: fleet.acked.length,
      stored: verdict.stored,
      lost: verdict.lost,
      duplicated: verdict.duplicated,
      wrongLatest: verdict.wrongLatest,
      ...extra,
    });
  // On the shipped (locked) config each kit may publish only under its own token, so the fleet
  // connects as the firmware does there: one connection per kit, client id = token.
  const fleet = (intervalMs: number, fleetOptions: FleetOptions = {}) =>
    new SteadyFleet(broker.port, tokens, {
      intervalMs,
      seed: 42,
      asKits: broker.ingestor !== undefined,
      ...fleetOptions,
    });
  const spawn: ChaosContext['spawn'] = (overrides = {}, spawnOptions = {}) =>
    ctx.spawnIngestor(
      {
        MQTT_CONNECTIONS: '8',
        // One group per scenario (each has its own broker), so a restarted ingestor rejoins it.
        MQTT_SHARED_SUBSCRIPTION: '$share/sck-ingest',
        // The shipped config admits the ingestor only with its credentials (docs/security.md).
        ...(broker.ingestor
          ? { MQTT_USERNAME: broker.ingestor.username, MQTT_PASSWORD: broker.ingestor.password }
          : {}),
        ...overrides,
      },
      spawnOptions,
    );
  const startFleet: ChaosContext['startFleet'] = async (intervalMs, fleetOptions = {}) => {
    const started = fleet(intervalMs, fleetOptions);
    ctx.defer(() => started.stop(5000));
    await started.start();
    return started;
  };
  const chaos: Omit<ChaosContext, keyof TestContext> = {
    tokens,
    spawn,
    fleet,
    startFleet,
    async trafficOn(ingestor, batches, fleetOptions = {}) {
      const started = await startFleet(100, fleetOptions);
      await ctx.metricAtLeast(ingestor, 'sck_ingest_batches_total', batches, { what: 'traffic' });
      return started;
    },
    async spawnSpilling(overrides, redisOptions = {}) {
      const { proxy, url } = await ctx.databaseProxy();
      const redis = await ctx.startRedis(redisOptions);
      const ingestor = await spawn({ DATABASE_URL: url, REDIS_URL: redis.url, ...overrides });
      return { ingestor, proxy, redis };
    },
    settle,
    record,
    async finish(started, scenario, faults, { timeoutMs, extra } = {}) {
      await started.stop();
      const verdict = await settle(started, timeoutMs);
      record(scenario, faults, started, verdict, extra);
      // The assertion's diff shows only the counts; the details say why.
      if (verdict.lostDetail || verdict.latestDetail) console.log(`${scenario}: ${JSON.stringify(verdict)}`);
      return verdict;
    },
  };
  // The test context's parts and methods, and the chaos ones next to them.
  return Object.assign(Object.create(ctx) as TestContext, chaos);
}

/**
 * The fleets publish readings of 2024. Without their months' partitions those rows land in the
 * default partition, and the partition upkeep of an ingestor that starts mid-test moves them out
 * while the verdict reads them: a statement whose snapshot predates the move's commit, planned
 * after it, finds the month in neither partition, and counts stored readings as missing.
 */
export async function createFleetPartitions(db: TestDatabase): Promise<void> {
  await db.sql.query(
    `SELECT ensure_readings_partition(make_timestamptz(2024, m, 1, 0, 0, 0, 'UTC')) FROM generate_series(1, 12) AS m`,
  );
}

/** The file's chaos context: started before its tests, closed after them. */
export function useChaosContext(options: ChaosOptions): ChaosContext {
  return useStarted(() => chaosContext(options));
}
