import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../libs/embedded/src/index.js';
import {
  type AttackTarget,
  connackCode,
  eavesdrop,
  kitPublishes,
  oversize,
  spoof,
  storedFor,
  takeOver,
} from '../helpers/broker-attacks.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { newDevice } from '../helpers/database.js';
import { ingestorEnv, startInProcessIngestor } from '../../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { freePort } from '../../tools/harness/ports.js';

/**
 * The broker rules (docs/security.md) against the real embedded broker and a real Mosquitto run
 * with deploy/mosquitto.conf, each with a real ingestor storing into PostgreSQL.
 */
interface Setup {
  target: AttackTarget;
  /** Client ids an intruder would try to take the ingestor's sessions with. */
  ingestorIdsToTry: string[];
  /** The share groups an intruder would join. */
  sharedFilters: string[];
  refusedPublishes(): number;
  close(): Promise<void>;
}

const KITS = ['sec001', 'sec002', 'sec003', 'sec004', 'sec005', 'sec006'];

function brokerSuite(name: string, start: (db: TestDatabase) => Promise<Setup>) {
  describe(name, () => {
    let db: TestDatabase;
    let setup: Setup;
    beforeAll(async () => {
      db = await createTestDatabase();
      for (const token of KITS) await newDevice(db, token);
      setup = await start(db);
    });
    afterAll(async () => {
      await setup?.close();
      await db?.drop();
    });

    it('stores every reading of a kit connecting as the firmware does, at QoS 0 and 1', async () => {
      expect(await kitPublishes(setup.target, 'sec001', 20, 1)).toBe(20);
      expect(await kitPublishes(setup.target, 'sec001', 20, 0, 100)).toBe(20);
    });

    it('gives anonymous subscribers nothing of the device traffic, shares and $queue included', async () => {
      const result = await eavesdrop(
        setup.target,
        ['#', 'device/#', 'device/sck/+/readings/raw', '$queue/device/#', ...setup.sharedFilters],
        'sec002',
        40,
        { connectionsPerFilter: 2 },
      );
      expect(result).toMatchObject({ stored: 40, stolen: 0 });
    });

    it('does not store, and counts, a reading published under another kit’s token', async () => {
      const refusedBefore = setup.refusedPublishes();
      const result = await spoof(setup.target, 'sec003', 6);
      expect(result).toEqual({ spoofed: 0, victimStored: 1 });
      expect(setup.refusedPublishes()).toBeGreaterThan(refusedBefore);
    });

    it('keeps the ingestor’s sessions: its client ids and username without the password get nothing', async () => {
      const result = await takeOver(setup.target, setup.ingestorIdsToTry, 'sec004', 20, 200);
      expect(result.stored).toBe(20);
      expect(result.stolen).toBe(0);
      // A wrong password is always refused (every second attempt).
      expect(result.codes.filter((_c, i) => i % 2 === 1).every((c) => c !== 0)).toBe(true);
    });

    it('refuses a payload over the ingestor’s limit at the broker', async () => {
      const result = await oversize(setup.target, 'sec005', 70_000);
      expect(result).toEqual({ closed: true, stored: 1 });
      const { rows } = await db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ingest_errors WHERE reason = 'payload_too_large'`,
      );
      expect(rows[0].n).toBe(0);
    });

    it('ends with no reading stored under a token it did not come from', async () => {
      expect(await storedFor(db, 'sec003')).toBe(1);
      expect(await storedFor(db, 'sec006')).toBe(0);
    });
  });
}

brokerSuite('embedded broker', async (db) => {
  const identity = {
    username: 'sck-ingest',
    password: randomBytes(18).toString('base64url'),
    clientIdPrefix: 'sck-ingest',
  };
  const broker = await EmbeddedBroker.start({
    host: '127.0.0.1',
    port: await freePort(),
    firstClientIdPrefix: 'sck-ingest-',
    policy: { ingestor: identity },
    maxPacketBytes: 65_536,
    log: () => undefined,
  });
  const ingestor = await startInProcessIngestor(
    ingestorEnv(db.url, broker.port, {
      MQTT_PROTOCOL_VERSION: '4',
      MQTT_SHARED_SUBSCRIPTION: 'none',
      MQTT_CONNECTIONS: '1',
      MQTT_CLIENT_ID: 'sck-ingest',
      MQTT_USERNAME: identity.username,
      MQTT_PASSWORD: identity.password,
    }),
  );
  broker.acceptDevices();
  const target = { port: broker.port, db, ingestor: { ...identity, clientId: 'sck-ingest' } };
  // The reserved ids are refused outright on this broker.
  expect(await connackCode(broker.port, { clientId: 'sck-ingest-0', clean: false })).toBe(5);
  return {
    target,
    ingestorIdsToTry: ['sck-ingest-0', 'sck-ingest'],
    sharedFilters: ['$share/sck-ingest/device/sck/+/readings/raw'],
    refusedPublishes: () => broker.refusals().publish_denied,
    async close() {
      await ingestor.stop();
      await broker.close();
    },
  };
});

brokerSuite('Mosquitto with deploy/mosquitto.conf', async (db) => {
  const broker: TestBroker = await startMosquitto({ shipped: true });
  const secret = broker.ingestor;
  if (!secret) throw new Error('the shipped broker has no ingestor credentials');
  const ingestor = await startInProcessIngestor(
    ingestorEnv(db.url, broker.port, {
      MQTT_CLIENT_ID: secret.clientId,
      MQTT_SHARED_SUBSCRIPTION: secret.sharedSubscription,
      MQTT_USERNAME: secret.username,
      MQTT_PASSWORD: secret.password,
    }),
  );
  return {
    target: { port: broker.port, db, ingestor: secret },
    // Mosquitto cannot reserve client ids: the deployed ids carry a secret, so an intruder tries
    // the public defaults (compose, README) and the ingestor keeps its own.
    ingestorIdsToTry: ['sck-ingest-0', 'sck-ingest-1', 'sck-ingest-1-0'],
    sharedFilters: [
      '$share/sck-ingest/device/sck/+/readings/raw',
      '$share/sck-ingest/device/#',
      `$share/intruders/device/sck/+/readings/raw`,
    ],
    refusedPublishes: () => broker.deniedPublishes(),
    async close() {
      await ingestor.stop();
      await broker.stop();
    },
  };
});
