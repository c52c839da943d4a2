import { afterAll, beforeAll, expect, it } from 'vitest';
import { SteadyFleet } from '../../tools/simulator/steady-fleet.js';
import { verifyStored } from '../chaos/verify.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { newDevice } from '../helpers/database.js';
import { ingestorEnv, type IngestorProcess, spawnIngestor } from '../../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';

let db: TestDatabase;
let broker: TestBroker;
const children: IngestorProcess[] = [];

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startMosquitto();
});
afterAll(async () => {
  await Promise.all(children.map((c) => c.kill()));
  await broker?.stop();
  await db?.drop();
});

it('the only ingestor of a $share group SIGTERMed and started again: every PUBACKed message is stored', async () => {
  const tokens = Array.from({ length: 5 }, (_, i) => `solo${i}`);
  for (const t of tokens) await newDevice(db, t);
  const env = ingestorEnv(db.url, broker.port, {
    MQTT_SHARED_SUBSCRIPTION: '$share/solo',
    MQTT_CLIENT_ID: 'solo',
    MQTT_CONNECTIONS: '4',
  });
  children.push(await spawnIngestor(env));
  // 5 kits every 100 ms: 50 messages/s at QoS 1, as in the report.
  const fleet = new SteadyFleet(broker.port, tokens, { intervalMs: 100, seed: 15 });
  await fleet.start();
  await waitFor(
    () => children[0].metric('sck_ingest_messages_total'),
    (n) => n >= 50,
    { what: 'traffic' },
  );
  expect(await children[0].kill('SIGTERM')).toBe(0);
  // The broker keeps accepting while no ingestor runs.
  const ackedWhileAway = fleet.acked.length;
  await waitFor(
    () => fleet.acked.length,
    (n) => n >= ackedWhileAway + 100,
    { what: 'the broker to accept messages while the ingestor is away' },
  );
  children.push(await spawnIngestor(env));
  await waitFor(
    () => children[1].metric('sck_ingest_messages_total'),
    (n) => n >= 50,
    { what: 'traffic on the new ingestor' },
  );
  await fleet.stop();
  const verdict = await waitFor(
    () => verifyStored(db, fleet.acked),
    (v) => v.lost === 0,
    { timeoutMs: 30_000, intervalMs: 500, what: 'every accepted message to be stored' },
  ).catch(() => verifyStored(db, fleet.acked));
  expect(fleet.acked.length).toBeGreaterThan(200);
  expect(verdict).toMatchObject({ lost: 0, duplicated: 0 });
});
