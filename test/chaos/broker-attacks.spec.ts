import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type AttackTarget,
  eavesdrop,
  embeddedIngestorEnv,
  oversize,
  shippedIngestorEnv,
  spoof,
  startEmbeddedBroker,
  takeOver,
} from '../helpers/broker-attacks.js';
import { createContext, type TestContext } from '../helpers/context.js';
import { startMosquitto } from '../../tools/harness/mosquitto.js';
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
}

const TOKENS = ['atk001', 'atk002', 'atk003', 'atk004'];

function attackRows(kind: string, open: (ctx: TestContext) => Promise<Arena>) {
  describe(kind, () => {
    let ctx: TestContext | undefined;
    afterAll(() => ctx?.close());

    it('anonymous eavesdroppers, a spoofer, session thieves and an oversize payload get nothing', async () => {
      const started = await createContext();
      ctx = started;
      for (const token of TOKENS) await started.newDevice(token);
      const arena = await open(started);
      const { target } = arena;
      const row = async (scenario: string, faults: number, sent: number, stored: number, extra = {}) => {
        const { rows, distinct } = await started.readingCount();
        const duplicated = rows - distinct;
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

attackRows('embedded', async (ctx) => {
  const identity = { username: 'sck-ingest', password: secret(), clientIdPrefix: 'sck-ingest' };
  const broker = await startEmbeddedBroker(identity, 'sck-ingest-');
  ctx.defer(() => broker.close());
  await ctx.spawnIngestor(embeddedIngestorEnv(broker.port, identity), { build: 'dist' });
  broker.acceptDevices();
  return {
    target: { port: broker.port, db: ctx.db, ingestor: { ...identity, clientId: 'sck-ingest' } },
    ingestorIds: ['sck-ingest-0', 'sck-ingest'],
    shares: ['$share/sck-ingest/device/sck/+/readings/raw'],
  };
});

attackRows('Mosquitto (shipped)', async (ctx) => {
  const broker = await startMosquitto({ shipped: true });
  ctx.defer(() => broker.stop());
  const identity = broker.ingestor;
  if (!identity) throw new Error('the shipped broker has no ingestor credentials');
  await ctx.spawnIngestor(
    { MQTT_PORT: String(broker.port), MQTT_CONNECTIONS: '4', ...shippedIngestorEnv(identity) },
    { build: 'dist' },
  );
  return {
    target: { port: broker.port, db: ctx.db, ingestor: identity },
    ingestorIds: ['sck-ingest-0', 'sck-ingest-1-0'],
    shares: ['$share/sck-ingest/device/sck/+/readings/raw', '$share/sck-ingest/device/#'],
  };
});
