import mqtt from 'mqtt';
import { helloPacket, infoPacket, jsonPacket, rawPacket, sampleValues } from '../tools/simulator/samples.js';
import { fail, flagsToEnv, usage } from './cli.js';

const { env, values } = flagsToEnv(
  process.argv.slice(2),
  { host: 'MQTT_HOST', port: 'MQTT_PORT', username: 'MQTT_USERNAME', password: 'MQTT_PASSWORD' },
  {
    token: { type: 'string' },
    kind: { type: 'string' },
    topic: { type: 'string' },
    qos: { type: 'string' },
    payload: { type: 'string' },
  },
);
if (values.help) {
  usage(`
npm run ingest:pub -- --token abc123 --kind raw|readings|hello|info [--host 127.0.0.1] [--port 1883] [--qos 1]
                      [--topic <override>] [--payload <override>]
Publishes one realistic sample packet for a kit and waits for the broker's PUBACK.`);
}
const token = values.token;
const kind = (values.kind as string | undefined) ?? 'raw';
if (typeof token !== 'string' || token === '') fail('--token is required');
const qos = Number(values.qos ?? 1);
if (qos !== 0 && qos !== 1) fail('--qos must be 0 or 1');

const now = new Date(Math.floor(Date.now() / 1000) * 1000);
const samples: Record<string, { topic: string; payload: string }> = {
  raw: {
    topic: `device/sck/${token}/readings/raw`,
    payload: rawPacket(now, sampleValues(Math.random, true)),
  },
  readings: {
    topic: `device/sck/${token}/readings`,
    payload: jsonPacket([
      { at: now.getTime() - 60_000, values: sampleValues(Math.random, false) },
      { at: now, values: sampleValues(Math.random, false) },
    ]),
  },
  hello: { topic: `device/sck/${token}/hello`, payload: helloPacket(token) },
  info: { topic: `device/sck/${token}/info`, payload: infoPacket() },
};
const sample = samples[kind];
if (!sample) fail(`--kind must be one of ${Object.keys(samples).join(', ')}`);
const topic = (values.topic as string | undefined) ?? sample.topic;
const payload = (values.payload as string | undefined) ?? sample.payload;

const url = `mqtt://${env.MQTT_HOST ?? '127.0.0.1'}:${env.MQTT_PORT ?? '1883'}`;
const client = await mqtt
  .connectAsync(url, {
    // As a kit connects: client id = its token (the broker lets a kit publish only as itself).
    clientId: token,
    username: env.MQTT_USERNAME,
    password: env.MQTT_PASSWORD,
    reconnectPeriod: 0,
    connectTimeout: 5000,
  })
  .catch((error: Error) => fail(`cannot reach the broker at ${url}: ${error.message}`));
await client.publishAsync(topic, payload, { qos });
console.log(`published (QoS ${qos}) to ${topic}: ${payload}`);
await client.endAsync();
