import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttPoolServer } from '../../apps/ingestor/src/mqtt/mqtt-pool.server.js';
import type { MqttMessage } from '../../apps/ingestor/src/mqtt/mqtt-message.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher } from '../../tools/simulator/publisher.js';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

let broker: TestBroker;
let publisher: MqttClient;
let pool: MqttPoolServer;
/** The payloads the handler was given, weakly: what the pool still keeps alive stays reachable. */
const payloads: WeakRef<Buffer>[] = [];
/** Settles every message handed over so far (their batch "commits"). */
const settle: (() => void)[] = [];

beforeAll(async () => {
  broker = await startMosquitto({ messageSizeLimit: 65_536 });
  pool = new MqttPoolServer({
    host: '127.0.0.1',
    port: broker.port,
    tls: false,
    clientId: 'pool-memory',
    connections: 1,
    receiveMaximum: 16,
    keepaliveSeconds: 60,
    sessionExpirySeconds: 60,
    sharedSubscription: '$share/pool-memory',
    topicPrefixes: [''],
  });
  // As the ingestor's handler does for a rejected message: keep a 1 KB prefix, report it, and
  // settle only once the batch is written (here: when the test says so).
  pool.addHandler(
    'raw',
    (messages: MqttMessage[]) =>
      Promise.resolve(
        messages.map((m) => {
          payloads.push(new WeakRef(m.payload));
          m.retain(1024 + m.topic.length + 512);
          return new Promise<void>((resolve) => settle.push(resolve));
        }),
      ),
    true,
  );
  await new Promise<void>((resolve) => pool.listen(() => resolve()));
  publisher = await connectPublisher(broker.port);
});
afterAll(async () => {
  for (const s of settle) s();
  await publisher?.endAsync();
  await pool?.close();
  await broker?.stop();
});

describe('MQTT pool memory', () => {
  it('keeps no payload of a message whose handler kept only a prefix, while its PUBACK waits', async () => {
    const body = Buffer.alloc(60_000, 'x');
    for (let i = 0; i < 4; i++)
      await publisher.publishAsync('device/sck/anon1/readings/raw', body, { qos: 1 });
    await waitFor(
      () => payloads.length,
      (n) => n === 4,
      { what: 'four messages handed over' },
    );
    // Nothing settled yet: the four are unacknowledged and counted at what the handler keeps.
    expect(pool.stats()).toMatchObject({ inFlight: 4, inFlightBytes: 4 * (1024 + 29 + 512) });
    await new Promise((resolve) => setImmediate(resolve));
    gc();
    expect(payloads.filter((p) => p.deref() !== undefined)).toHaveLength(0);
    for (const s of settle.splice(0)) s();
    await waitFor(
      () => pool.stats().inFlight,
      (n) => n === 0,
      { what: 'the four acknowledged' },
    );
  });
});
