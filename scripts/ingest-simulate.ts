import { Fleet } from '../tools/simulator/fleet.js';
import { FleetPublisher } from '../tools/simulator/publisher.js';
import { parseDuration, parseMix, perSecond } from '../tools/simulator/rate.js';
import { publishPaced, registerFleet } from '../tools/simulator/traffic.js';
import { loadApiConfig } from '#config';
import { fail, flagsToEnv, usage } from './cli.js';

const { env, values } = flagsToEnv(
  process.argv.slice(2),
  { host: 'MQTT_HOST', port: 'MQTT_PORT', 'database-url': 'DATABASE_URL' },
  {
    devices: { type: 'string' },
    rate: { type: 'string' },
    duration: { type: 'string' },
    qos: { type: 'string' },
    mix: { type: 'string' },
    seed: { type: 'string' },
    connections: { type: 'string' },
    register: { type: 'boolean' },
  },
);
if (values.help) {
  usage(`
npm run ingest:simulate -- [--devices 2000] [--rate 500] [--duration 60s] [--qos 1] [--mix raw:90,json:10]
                           [--seed 1] [--connections 4] [--host 127.0.0.1] [--port 1883]
                           [--register [--database-url postgresql://…]]
A fleet of virtual SCK 2.1 kits publishing realistic traffic (battery first, PM every 5th reading,
two decimals, ~1 % duplicates, backlog bursts with old timestamps, some hello and info).
--rate is messages per second for the whole fleet. --register creates the kits' devices first so
their readings are stored rather than parked as unknown_device. The same --seed gives the same traffic.`);
}

const int = (name: string, fallback: number, min: number) => {
  const raw = values[name];
  const value = typeof raw === 'string' ? Number(raw) : fallback;
  if (!Number.isInteger(value) || value < min) fail(`--${name} must be an integer ≥ ${min}`);
  return value;
};
const devices = int('devices', 2000, 1);
const rate = int('rate', 500, 1);
const seed = int('seed', 1, 0);
const connections = int('connections', 4, 1);
const qos = int('qos', 1, 0);
if (qos > 1) fail('--qos must be 0 or 1');
let durationMs: number;
let mix: { raw: number; json: number };
try {
  durationMs = parseDuration(typeof values.duration === 'string' ? values.duration : '60s');
  mix = parseMix(typeof values.mix === 'string' ? values.mix : 'raw:90,json:10');
} catch (error) {
  fail((error as Error).message);
}

const fleet = new Fleet({ devices, seed, mix });
if (values.register) {
  const url = loadApiConfig({ ...env, PORT: '0' }).DATABASE_URL;
  const ids = await registerFleet(url, fleet.tokens).catch((error: Error) =>
    fail(`cannot register the fleet in ${url}: ${error.message}`),
  );
  console.log(`registered ${ids.size} kits in ${new URL(url).pathname.slice(1)}`);
}

const url = `mqtt://${env.MQTT_HOST ?? '127.0.0.1'}:${env.MQTT_PORT ?? '1883'}`;
// On a locked broker (docs/security.md) only the ingestor's identity publishes for many tokens.
const publisher = await FleetPublisher.connect({
  url,
  connections,
  qos: qos as 0 | 1,
  username: env.MQTT_USERNAME || undefined,
  password: env.MQTT_PASSWORD || undefined,
}).catch((error: Error) => fail(`cannot reach the broker at ${url}: ${error.message}`));

const tty = process.stdout.isTTY;
const status = (elapsedMs: number) => {
  const width = 30;
  const done = Math.min(1, elapsedMs / durationMs);
  const bar = '█'.repeat(Math.round(done * width)).padEnd(width, '░');
  const line = `${bar} ${(elapsedMs / 1000).toFixed(0)}/${(durationMs / 1000).toFixed(0)} s  sent ${publisher.sent}  acked ${publisher.acked}  ${perSecond(publisher.sent, elapsedMs).toFixed(0)} msg/s`;
  process.stdout.write(`\r${line}`);
};
const kinds: Record<string, number> = {};
let duplicates = 0;
let backlog = 0;
console.log(`${devices} kits → ${url}, ${rate} msg/s for ${durationMs / 1000} s, QoS ${qos}, seed ${seed}`);
const totals = await publishPaced(fleet, publisher, {
  rate,
  durationMs,
  onMessage: (m) => {
    kinds[m.kind] = (kinds[m.kind] ?? 0) + 1;
    if (m.duplicate) duplicates++;
    if (m.backlog) backlog++;
  },
  onTick: tty ? status : undefined,
});
await publisher.flush(30_000);
if (tty) {
  status(totals.elapsedMs);
  process.stdout.write('\n');
}
await publisher.close();
console.log(
  [
    `sent ${publisher.sent} messages (${Object.entries(kinds)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; ${duplicates} duplicates, ${backlog} from backlogs)`,
    `acked by the broker ${qos === 1 ? publisher.acked : 'n/a (QoS 0)'}, failed ${publisher.failed}`,
    `rate achieved ${perSecond(totals.messages, totals.elapsedMs).toFixed(1)} msg/s (asked ${rate}); ${totals.newReadings} distinct readings`,
  ].join('\n'),
);
if (publisher.failed > 0) process.exitCode = 1;
