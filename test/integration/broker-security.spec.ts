import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type AttackTarget,
  connackCode,
  eavesdrop,
  embeddedIngestorEnv,
  kitPublishes,
  oversize,
  shippedIngestorEnv,
  spoof,
  startEmbeddedBroker,
  storedFor,
  takeOver,
} from '../helpers/broker-attacks.js';
import { type TestContext, useContext } from '../helpers/context.js';
import { startMosquitto } from '../../tools/harness/mosquitto.js';

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
}

const KITS = ['sec001', 'sec002', 'sec003', 'sec004', 'sec005', 'sec006'];

function brokerSuite(name: string, start: (ctx: TestContext) => Promise<Setup>) {
  describe(name, () => {
    const ctx = useContext();
    let setup: Setup;
    beforeAll(async () => {
      for (const token of KITS) await ctx.newDevice(token);
      setup = await start(ctx);
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
      const { rows } = await ctx.db.sql.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM ingest_errors WHERE reason = 'payload_too_large'`,
      );
      expect(rows[0].n).toBe(0);
    });

    it('ends with no reading stored under a token it did not come from', async () => {
      expect(await storedFor(ctx.db, 'sec003')).toBe(1);
      expect(await storedFor(ctx.db, 'sec006')).toBe(0);
    });
  });
}

brokerSuite('embedded broker', async (ctx) => {
  const identity = {
    username: 'sck-ingest',
    password: randomBytes(18).toString('base64url'),
    clientIdPrefix: 'sck-ingest',
  };
  const broker = await startEmbeddedBroker(identity, 'sck-ingest-');
  ctx.defer(() => broker.close());
  await ctx.startIngestor(embeddedIngestorEnv(broker.port, identity));
  broker.acceptDevices();
  const target = { port: broker.port, db: ctx.db, ingestor: { ...identity, clientId: 'sck-ingest' } };
  // The reserved ids are refused outright on this broker.
  expect(await connackCode(broker.port, { clientId: 'sck-ingest-0', clean: false })).toBe(5);
  return {
    target,
    ingestorIdsToTry: ['sck-ingest-0', 'sck-ingest'],
    sharedFilters: ['$share/sck-ingest/device/sck/+/readings/raw'],
    refusedPublishes: () => broker.refusals().publish_denied,
  };
});

brokerSuite('Mosquitto with deploy/mosquitto.conf', async (ctx) => {
  const broker = await startMosquitto({ shipped: true });
  ctx.defer(() => broker.stop());
  const secret = broker.ingestor;
  if (!secret) throw new Error('the shipped broker has no ingestor credentials');
  await ctx.startIngestor({ MQTT_PORT: String(broker.port), ...shippedIngestorEnv(secret) });
  return {
    target: { port: broker.port, db: ctx.db, ingestor: secret },
    // Mosquitto cannot reserve client ids: the deployed ids carry a secret, so an intruder tries
    // the public defaults (compose, README) and the ingestor keeps its own.
    ingestorIdsToTry: ['sck-ingest-0', 'sck-ingest-1', 'sck-ingest-1-0'],
    sharedFilters: [
      '$share/sck-ingest/device/sck/+/readings/raw',
      '$share/sck-ingest/device/#',
      `$share/intruders/device/sck/+/readings/raw`,
    ],
    refusedPublishes: () => broker.deniedPublishes(),
  };
});
