import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBroker } from '#embedded';
import { connackCode, startEmbeddedBroker } from '../helpers/broker-attacks.js';

const INGESTOR = { username: 'ingest', password: 'ingest-password', clientIdPrefix: 'ingest-' };
const AS_INGESTOR = { username: INGESTOR.username, password: INGESTOR.password };

/** Connects once, without retrying; resolves with the CONNACK return code (0 = accepted). */
const connack = (port: number, clientId: string, credentials = {}) =>
  connackCode(port, { clientId, ...credentials });

describe('embedded MQTT broker', () => {
  let broker: EmbeddedBroker | undefined;
  afterEach(async () => {
    await broker?.close();
    broker = undefined;
  });

  /** A broker open to devices, and the options of the ingestor's persistent 3.1.1 session on it. */
  async function openToDevices() {
    broker = await startEmbeddedBroker(INGESTOR, 'ingest-');
    broker.acceptDevices();
    const url = `mqtt://127.0.0.1:${broker.port}`;
    const options = {
      ...AS_INGESTOR,
      clientId: 'ingest-0',
      clean: false,
      protocolVersion: 4 as const,
      reconnectPeriod: 0,
    };
    return { url, options };
  }

  it('admits only the ingestor until acceptDevices(), then everyone', async () => {
    broker = await startEmbeddedBroker(INGESTOR, 'ingest-');
    expect(await connack(broker.port, 'kit-1')).toBe(3);
    expect(await connack(broker.port, 'ingest-0', AS_INGESTOR)).toBe(0);
    broker.acceptDevices();
    expect(await connack(broker.port, 'kit-1')).toBe(0);
  });

  it('delivers QoS 1 to a persistent 3.1.1 session that was offline', async () => {
    const { url, options } = await openToDevices();
    const subscriber = await mqtt.connectAsync(url, options);
    await subscriber.subscribeAsync('device/sck/+/readings/raw', { qos: 1 });
    await subscriber.endAsync();
    const device = await mqtt.connectAsync(url, { clientId: 'abc', reconnectPeriod: 0 });
    await device.publishAsync('device/sck/abc/readings/raw', '{t:2024-01-01T00:00:00Z,55:1}', { qos: 1 });
    await device.endAsync();
    const back = mqtt.connect(url, { ...options, manualConnect: true });
    const received = new Promise<string>((resolve) =>
      back.once('message', (_topic, payload) => resolve(payload.toString())),
    );
    back.connect();
    expect(await received).toBe('{t:2024-01-01T00:00:00Z,55:1}');
    await back.endAsync();
  });

  it("delivers a kit's QoS 0 publish to a QoS 1 subscription at QoS 1, also queued while it is offline", async () => {
    const { url, options } = await openToDevices();
    const subscriber = await mqtt.connectAsync(url, options);
    await subscriber.subscribeAsync('device/sck/+/readings/raw', { qos: 1 });
    const online = new Promise<number>((resolve) =>
      subscriber.once('message', (_t, _p, packet) => resolve(packet.qos)),
    );
    const device = await mqtt.connectAsync(url, { clientId: 'abc', reconnectPeriod: 0 });
    await device.publishAsync('device/sck/abc/readings/raw', '{t:2024-01-01T00:00:00Z,55:1}', { qos: 0 });
    expect(await online).toBe(1);
    await subscriber.endAsync();
    await device.publishAsync('device/sck/abc/readings/raw', '{t:2024-01-01T00:01:00Z,55:2}', { qos: 0 });
    await device.endAsync();
    const back = mqtt.connect(url, { ...options, manualConnect: true });
    const queued = new Promise<[string, number]>((resolve) =>
      back.once('message', (_topic, payload, packet) => resolve([payload.toString(), packet.qos])),
    );
    back.connect();
    expect(await queued).toEqual(['{t:2024-01-01T00:01:00Z,55:2}', 1]);
    await back.endAsync();
  });
});
