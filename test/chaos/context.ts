import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { newDevice } from '../helpers/database.js';
import {
  ingestorEnv,
  type IngestorProcess,
  type SpawnOptions,
  spawnIngestor,
} from '../../tools/harness/ingestor.js';
import { type BrokerOptions, startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { SteadyFleet } from '../../tools/simulator/steady-fleet.js';
import { recordChaosRow } from '../../tools/harness/chaos-results.js';
import { verifyStored, type Verdict } from './verify.js';

export interface ChaosContext {
  db: TestDatabase;
  broker: TestBroker;
  tokens: string[];
  ingestors: IngestorProcess[];
  spawn(overrides?: Record<string, string>, options?: SpawnOptions): Promise<IngestorProcess>;
  fleet(
    intervalMs: number,
    options?: { seed?: number; reconnectMs?: number; qos?: 0 | 1; startAt?: number },
  ): SteadyFleet;
  /** Waits until every acknowledged reading is stored (or the deadline passes), then checks rows. */
  settle(fleet: SteadyFleet, timeoutMs?: number): Promise<Verdict>;
  record(
    scenario: string,
    faults: number,
    fleet: SteadyFleet,
    verdict: Verdict,
    extra?: { peakRssMb?: number; badTried?: number; badRecorded?: number; realRatePct?: number },
  ): void;
  close(): Promise<void>;
}

export async function chaosContext(options: {
  devices: number;
  broker?: BrokerOptions;
}): Promise<ChaosContext> {
  const db = await createTestDatabase();
  const broker = await startMosquitto(options.broker);
  const tokens = Array.from({ length: options.devices }, (_, i) => `ch${String(i).padStart(4, '0')}`);
  for (const t of tokens) await newDevice(db, t);
  const ingestors: IngestorProcess[] = [];
  return {
    db,
    broker,
    tokens,
    ingestors,
    async spawn(overrides = {}, spawnOptions = {}) {
      const child = await spawnIngestor(
        ingestorEnv(db.url, broker.port, {
          MQTT_CONNECTIONS: '8',
          // One group per scenario (each has its own broker), so a restarted ingestor rejoins it.
          MQTT_SHARED_SUBSCRIPTION: '$share/sck-ingest',
          // The shipped config admits the ingestor only with its credentials (docs/security.md).
          ...(broker.ingestor
            ? { MQTT_USERNAME: broker.ingestor.username, MQTT_PASSWORD: broker.ingestor.password }
            : {}),
          ...overrides,
        }),
        spawnOptions,
      );
      ingestors.push(child);
      return child;
    },
    // On the shipped (locked) config each kit may publish only under its own token, so the fleet
    // connects as the firmware does there: one connection per kit, client id = token.
    fleet: (intervalMs, options = {}) =>
      new SteadyFleet(broker.port, tokens, {
        intervalMs,
        seed: 42,
        asKits: broker.ingestor !== undefined,
        ...options,
      }),
    async settle(fleet, timeoutMs = 60_000) {
      const verdict = await waitFor(
        () => verifyStored(db, fleet.acked),
        (v) => v.lost === 0,
        { timeoutMs, intervalMs: 500, what: 'every acknowledged reading to be stored' },
      ).catch(() => verifyStored(db, fleet.acked));
      return verdict;
    },
    record(scenario, faults, fleet, verdict, extra = {}) {
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
    },
    async close() {
      await Promise.all(ingestors.map((i) => i.kill('SIGKILL')));
      await broker.stop();
      await db.drop();
    },
  };
}
