import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../libs/embedded/src/index.js';
import { type AttackTarget, eavesdrop, oversize, spoof, takeOver } from '../helpers/broker-attacks.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { newDevice } from '../helpers/database.js';
import { ingestorEnv, type IngestorProcess, spawnIngestor } from '../../tools/harness/ingestor.js';
import { startMosquitto } from '../../tools/harness/mosquitto.js';
import { freePort } from '../../tools/harness/ports.js';
import { recordChaosRow } from '../../tools/harness/chaos-results.js';

/**
 * The attacks of docs/security.md as chaos rows, against the embedded broker and Mosquitto run
 * with deploy/mosquitto.conf, each with the ingestor as its own process: every kit reading
 * stored once, nothing stolen, nothing spoofed.
 */
interface Arena {
  target: AttackTarget;
  ingestorIds: string[];
  shares: string[];
  close(): Promise<void>;
}

const TOKENS = ['atk001', 'atk002', 'atk003', 'atk004'];

async function duplicates(db: TestDatabase): Promise<number> {
  const { rows } = await db.sql.query<{ n: number }>(
    'SELECT (count(*) - count(DISTINCT (device_id, sensor_id, recorded_at)))::int AS n FROM readings',
  );
  return rows[0].n;
}

function attackRows(kind: string, open: (db: TestDatabase) => Promise<Arena>) {
  describe(kind, () => {
    let db: TestDatabase;
    let arena: Arena | undefined;
    afterAll(async () => {
      await arena?.close();
      await db?.drop();
    });

    it('anonymous eavesdroppers, a spoofer, session thieves and an oversize payload get nothing', async () => {
      db = await createTestDatabase();
      for (const token of TOKENS) await newDevice(db, token);
      arena = await open(db);
      const { target } = arena;
      const row = async (scenario: string, faults: number, sent: number, stored: number, extra = {}) => {
        const duplicated = await duplicates(db);
        recordChaosRow({
          scenario: `${kind}: ${scenario}`,
          faults,
          sent,
          acknowledged: sent,
          stored,
          lost: sent - stored,
          duplicated,
          wrongLatest: 0,
          stolen: 0,
          spoofed: 0,
          ...extra,
        });
        return { lost: sent - stored, duplicated };
      };

      const filters = ['#', 'device/#', '$queue/device/#', ...arena.shares];
      const spied = await eavesdrop(target, filters, 'atk001', 40, { connectionsPerFilter: 4 });
      expect(
        await row('subscribe to #, device/#, $queue, shares', filters.length * 4, 40, spied.stored, {
          stolen: spied.stolen,
        }),
      ).toEqual({ lost: 0, duplicated: 0 });

      const spoofed = await spoof(target, 'atk002', 10);
      expect(
        await row('publish as another token', 10, 1, spoofed.victimStored, { spoofed: spoofed.spoofed }),
      ).toEqual({ lost: 0, duplicated: 0 });

      const taken = await takeOver(target, arena.ingestorIds, 'atk003', 40, 0);
      expect(
        await row('take over the ingestor client ids', taken.codes.length, 40, taken.stored, {
          stolen: taken.stolen,
        }),
      ).toEqual({ lost: 0, duplicated: 0 });

      const big = await oversize(target, 'atk004', 70_000);
      // The oversize message is the fault; the one normal reading after it must be stored.
      expect(big.closed).toBe(true);
      expect(await row('70 KB payload', 1, 1, big.stored)).toEqual({ lost: 0, duplicated: 0 });

      expect(spied.stolen + taken.stolen + spoofed.spoofed).toBe(0);
    });
  });
}

const secret = () => randomBytes(6).toString('hex');

attackRows('embedded', async (db) => {
  const identity = { username: 'sck-ingest', password: secret(), clientIdPrefix: 'sck-ingest' };
  const broker = await EmbeddedBroker.start({
    host: '127.0.0.1',
    port: await freePort(),
    firstClientIdPrefix: 'sck-ingest-',
    policy: { ingestor: identity },
    maxPacketBytes: 65_536,
    log: () => undefined,
  });
  let ingestor: IngestorProcess | undefined;
  try {
    ingestor = await spawnIngestor(
      ingestorEnv(db.url, broker.port, {
        MQTT_PROTOCOL_VERSION: '4',
        MQTT_SHARED_SUBSCRIPTION: 'none',
        MQTT_CONNECTIONS: '1',
        MQTT_CLIENT_ID: 'sck-ingest',
        MQTT_USERNAME: identity.username,
        MQTT_PASSWORD: identity.password,
      }),
      { build: 'dist' },
    );
  } catch (error) {
    await broker.close();
    throw error;
  }
  broker.acceptDevices();
  const running = ingestor;
  return {
    target: { port: broker.port, db, ingestor: { ...identity, clientId: 'sck-ingest' } },
    ingestorIds: ['sck-ingest-0', 'sck-ingest'],
    shares: ['$share/sck-ingest/device/sck/+/readings/raw'],
    async close() {
      await running.kill('SIGKILL');
      await broker.close();
    },
  };
});

attackRows('Mosquitto (shipped)', async (db) => {
  const broker = await startMosquitto({ shipped: true });
  const identity = broker.ingestor;
  if (!identity) throw new Error('the shipped broker has no ingestor credentials');
  let ingestor: IngestorProcess | undefined;
  try {
    ingestor = await spawnIngestor(
      ingestorEnv(db.url, broker.port, {
        MQTT_CONNECTIONS: '4',
        MQTT_CLIENT_ID: identity.clientId,
        MQTT_SHARED_SUBSCRIPTION: identity.sharedSubscription,
        MQTT_USERNAME: identity.username,
        MQTT_PASSWORD: identity.password,
      }),
      { build: 'dist' },
    );
  } catch (error) {
    await broker.stop();
    throw error;
  }
  const running = ingestor;
  return {
    target: { port: broker.port, db, ingestor: identity },
    ingestorIds: ['sck-ingest-0', 'sck-ingest-1-0'],
    shares: ['$share/sck-ingest/device/sck/+/readings/raw', '$share/sck-ingest/device/#'],
    async close() {
      await running.kill('SIGKILL');
      await broker.stop();
    },
  };
});
