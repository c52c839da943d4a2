import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { TestDatabase } from '../../tools/harness/database.js';
import type { TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { PUBLIC_TREE } from '#domain';
import { EmbeddedBroker } from '#embedded';
import { freePort } from '../../tools/harness/ports.js';

/**
 * The attacks of docs/security.md, run against a broker an ingestor is subscribed to. Each returns
 * figures the caller asserts on (integration tests) or records (chaos rows): readings stored,
 * messages an intruder received ("stolen"), readings stored under a token they did not come from
 * ("spoofed").
 */
export interface AttackTarget {
  port: number;
  db: TestDatabase;
  /** Credentials the test's own privileged client uses to publish the public-tree sentinel. */
  ingestor: { username: string; password: string; clientId: string };
}

export interface IngestorIdentity {
  username: string;
  password: string;
  clientIdPrefix: string;
}

/**
 * The embedded broker as single-node mode runs it, on a free port: it admits only the ingestor
 * (`identity`, connecting with a client id starting `firstClientIdPrefix`) until `acceptDevices()`.
 */
export async function startEmbeddedBroker(
  identity: IngestorIdentity,
  firstClientIdPrefix: string,
): Promise<EmbeddedBroker> {
  return EmbeddedBroker.start({
    host: '127.0.0.1',
    port: await freePort(),
    firstClientIdPrefix,
    policy: { ingestor: identity },
    maxPacketBytes: 65_536,
    log: () => undefined,
  });
}

/** The settings of the one ingestor the locked embedded broker admits (`identity`, client id = its prefix). */
export function embeddedIngestorEnv(port: number, identity: IngestorIdentity): Record<string, string> {
  return {
    MQTT_PORT: String(port),
    MQTT_PROTOCOL_VERSION: '4',
    MQTT_SHARED_SUBSCRIPTION: 'none',
    MQTT_CONNECTIONS: '1',
    MQTT_CLIENT_ID: identity.clientIdPrefix,
    MQTT_USERNAME: identity.username,
    MQTT_PASSWORD: identity.password,
  };
}

/** The settings an operator gives the ingestor on the shipped Mosquitto config (docs/security.md). */
export function shippedIngestorEnv(secret: NonNullable<TestBroker['ingestor']>): Record<string, string> {
  return {
    MQTT_CLIENT_ID: secret.clientId,
    MQTT_SHARED_SUBSCRIPTION: secret.sharedSubscription,
    MQTT_USERNAME: secret.username,
    MQTT_PASSWORD: secret.password,
  };
}

const url = (port: number) => `mqtt://127.0.0.1:${port}`;

/** As the firmware connects: client id = token, no credentials, clean session, MQTT 3.1.1. */
export function connectKit(port: number, token: string): Promise<MqttClient> {
  return mqtt.connectAsync(url(port), {
    clientId: token,
    clean: true,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
}

/** One raw packet a second apart, so every publish is its own reading of sensor 55. */
export function readingPayload(i: number, base = Date.UTC(2024, 2, 1)): string {
  const at = new Date(base + i * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `{t:${at},55:${(i % 100) + 0.5}}`;
}

export async function storedFor(db: TestDatabase, token: string): Promise<number> {
  const { rows } = await db.sql.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM readings r JOIN devices d ON d.id = r.device_id WHERE d.token = $1',
    [token],
  );
  return rows[0].n;
}

async function waitStored(db: TestDatabase, token: string, expected: number): Promise<number> {
  return waitFor(
    () => storedFor(db, token),
    (n) => n >= expected,
    { timeoutMs: 30_000, intervalMs: 100, what: `${expected} readings of ${token}` },
  ).catch(() => storedFor(db, token));
}

/** A kit publishes `count` readings as itself at `qos`; resolves with how many were stored. */
export async function kitPublishes(target: AttackTarget, token: string, count: number, qos: 0 | 1, from = 0) {
  const before = await storedFor(target.db, token);
  const kit = await connectKit(target.port, token);
  for (let i = from; i < from + count; i++) {
    await kit.publishAsync(`device/sck/${token}/readings/raw`, readingPayload(i), { qos });
  }
  await kit.endAsync();
  return (await waitStored(target.db, token, before + count)) - before;
}

/**
 * Anonymous clients subscribe to `filters` (each on its own connection); kits publish; then the
 * test's privileged client publishes a public-tree sentinel every intruder may read. Once each
 * intruder has the sentinel, whatever else it received was routed to it before: that is stolen.
 */
export async function eavesdrop(
  target: AttackTarget,
  filters: string[],
  kitToken: string,
  count: number,
  options: { connectionsPerFilter?: number; from?: number } = {},
): Promise<{ stored: number; stolen: number; subackCodes: number[] }> {
  const intruders: { client: MqttClient; received: string[] }[] = [];
  const subackCodes: number[] = [];
  for (const filter of filters) {
    for (let c = 0; c < (options.connectionsPerFilter ?? 1); c++) {
      const client = await mqtt.connectAsync(url(target.port), {
        clientId: `spy${intruders.length}${Math.random().toString(36).slice(2, 6)}`,
        protocolVersion: 4,
        clean: true,
        reconnectPeriod: 0,
      });
      const received: string[] = [];
      client.on('message', (topic) => received.push(topic));
      await client.subscribeAsync('sck/v1/sentinel', { qos: 1 });
      // MQTT.js rejects a SUBACK that refuses the filter (0x80): that is the answer wanted.
      const granted = await client.subscribeAsync(filter, { qos: 1 }).then(
        (list) => list.map((g) => g.qos),
        () => [0x80],
      );
      subackCodes.push(...granted);
      intruders.push({ client, received });
    }
  }
  const stored = await kitPublishes(target, kitToken, count, 1, options.from ?? 0);
  const sentinel = await mqtt.connectAsync(url(target.port), {
    ...privileged(target, 'sentinel'),
  });
  await sentinel.publishAsync('sck/v1/sentinel', 'end', { qos: 1 });
  await sentinel.endAsync();
  await waitFor(() => intruders.every((i) => i.received.includes('sck/v1/sentinel')), Boolean, {
    timeoutMs: 30_000,
    what: 'every intruder to receive the public sentinel',
  });
  await Promise.all(intruders.map((i) => i.client.endAsync(true)));
  const stolen = intruders.reduce((sum, i) => sum + i.received.filter(isDeviceTraffic).length, 0);
  return { stored, stolen, subackCodes };
}

/**
 * What an intruder must never get: anything but the public tree, which the live firehose publishes
 * to anyone by design (public devices' stored readings, no tokens; docs/live.md).
 */
function isDeviceTraffic(topic: string): boolean {
  return !topic.startsWith(PUBLIC_TREE);
}

function privileged(target: AttackTarget, suffix: string): IClientOptions {
  return {
    clientId: `${target.ingestor.clientId}-${suffix}`,
    username: target.ingestor.username,
    password: target.ingestor.password,
    protocolVersion: 4,
    reconnectPeriod: 0,
  };
}

/**
 * An intruder publishes readings to the victim's topic (QoS 1 and 0), then the victim publishes
 * one of its own. Once that one is stored, any other reading of the victim is spoofed.
 */
export async function spoof(
  target: AttackTarget,
  victim: string,
  attempts: number,
): Promise<{ spoofed: number; victimStored: number }> {
  const before = await storedFor(target.db, victim);
  const intruder = await mqtt.connectAsync(url(target.port), {
    clientId: `atk${Math.random().toString(36).slice(2, 8)}`,
    protocolVersion: 4,
    reconnectPeriod: 0,
  });
  intruder.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => intruder.once('close', () => resolve()));
  // Not awaited one by one: a broker may answer a refused publish by closing the connection
  // (aedes does). The last one is QoS 1: its PUBACK means the broker has handled all before it.
  for (let i = 0; i < attempts - 1; i++) {
    intruder.publish(`device/sck/${victim}/readings/raw`, readingPayload(10_000 + i), {
      qos: i % 2 === 0 ? 1 : 0,
    });
  }
  const last = intruder.publishAsync(`device/sck/${victim}/readings/raw`, readingPayload(10_000 + attempts), {
    qos: 1,
  });
  await Promise.race([closed, last.catch(() => undefined)]);
  await intruder.endAsync(true);
  const victimStored = await kitPublishes(target, victim, 1, 1, 20_000);
  const after = await storedFor(target.db, victim);
  return { spoofed: after - before - victimStored, victimStored };
}

/** Connects once without retrying; resolves with the CONNACK code (0 = accepted). */
export async function connackCode(port: number, options: IClientOptions): Promise<number> {
  const client = mqtt.connect(url(port), { protocolVersion: 4, reconnectPeriod: 0, ...options });
  try {
    return await new Promise<number>((resolve, reject) => {
      client.once('connect', (connack) => resolve(connack.returnCode ?? 0));
      client.once('error', (error) => {
        const code = (error as { code?: number }).code;
        if (typeof code === 'number') resolve(code);
        else reject(error);
      });
    });
  } finally {
    await client.endAsync(true);
  }
}

/**
 * An intruder connects with each of `clientIds` (clean=false, as the ingestor does, anonymously or
 * with a wrong password); then kits publish. Returns the CONNACK codes and what was stored and
 * what reached the intruders.
 */
export async function takeOver(
  target: AttackTarget,
  clientIds: string[],
  kitToken: string,
  count: number,
  from: number,
): Promise<{ codes: number[]; stored: number; stolen: number }> {
  const codes: number[] = [];
  const held: MqttClient[] = [];
  const received: string[] = [];
  for (const clientId of clientIds) {
    for (const credentials of [{}, { username: target.ingestor.username, password: 'not-the-password' }]) {
      const client = mqtt.connect(url(target.port), {
        clientId,
        clean: false,
        protocolVersion: 4,
        reconnectPeriod: 0,
        ...credentials,
      });
      client.on('message', (topic) => received.push(topic));
      const code = await new Promise<number>((resolve) => {
        client.once('connect', (connack) => resolve(connack.returnCode ?? 0));
        client.once('error', (error) => resolve((error as { code?: number }).code ?? -1));
        client.once('close', () => resolve(-1));
      });
      codes.push(code);
      if (code === 0) held.push(client);
      else await client.endAsync(true);
    }
  }
  const stored = await kitPublishes(target, kitToken, count, 1, from);
  await Promise.all(held.map((c) => c.endAsync(true)));
  return { codes, stored, stolen: received.filter(isDeviceTraffic).length };
}

/**
 * A kit publishes a payload of `bytes` to its own topic; the broker must close the connection
 * (or drop it) rather than pass it on. Then it publishes a normal reading. Returns whether the
 * connection was closed and how many readings were stored (1 = only the normal one).
 */
export async function oversize(
  target: AttackTarget,
  token: string,
  bytes: number,
): Promise<{ closed: boolean; stored: number }> {
  const before = await storedFor(target.db, token);
  const kit = await connectKit(target.port, token);
  kit.on('error', () => undefined);
  const closed = new Promise<boolean>((resolve) => kit.once('close', () => resolve(true)));
  const big = `{t:2024-03-01T00:00:00Z,55:1.5}${' '.repeat(Math.max(0, bytes - 30))}`;
  kit.publish(`device/sck/${token}/readings/raw`, big, { qos: 1 });
  const deadline = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 15_000).unref());
  const wasClosed = await Promise.race([closed, deadline]);
  await kit.endAsync(true);
  await kitPublishes(target, token, 1, 1, 30_000);
  return { closed: wasClosed, stored: (await storedFor(target.db, token)) - before };
}
