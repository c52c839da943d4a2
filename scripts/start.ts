import { randomBytes } from 'node:crypto';
import { Logger } from '@nestjs/common';
import { startApi } from '../apps/api/src/bootstrap.js';
import { startIngestor } from '../apps/ingestor/src/bootstrap.js';
import { ConfigError, loadSystemConfig, type SystemConfig } from '#config';
import { deployDatabase } from '#db';
import { EmbeddedBroker, EmbeddedPostgres } from '#embedded';
import { type Closable, closeOnSignals } from '#runtime';
import { startupBanner } from './banner.js';
import { fail } from './cli.js';
import { type Service, hostPort, unreachable } from './service-check.js';

/**
 * `npm start`: the whole system in this process. PostgreSQL, the MQTT broker and the job queues
 * are embedded unless DATABASE_URL, MQTT_HOST or REDIS_URL points at an external service; the
 * external ones are checked first. Then pending migrations and the sensor catalogue are applied,
 * and the ingestor and the REST API start.
 */

const logger = new Logger('Start');
let config: SystemConfig;
try {
  config = loadSystemConfig();
} catch (error) {
  fail(error instanceof ConfigError ? error.message : String(error));
}
const { embedded } = config;
let apiConfig = config.api;
let ingestorConfig = config.ingestor;

const external: Service[] = [];
if (!embedded.postgres) {
  external.push({
    name: 'PostgreSQL',
    ...hostPort(ingestorConfig.DATABASE_URL, 5432),
    hint: `start it (Debian: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start; or docker compose up -d postgres), or unset DATABASE_URL to run an embedded one`,
  });
}
if (apiConfig.REDIS_URL) {
  external.push({
    name: 'Redis',
    ...hostPort(apiConfig.REDIS_URL, 6379),
    hint: `start it (redis-server --daemonize yes --appendonly yes --appendfsync always; or docker compose up -d redis), or unset REDIS_URL to keep the job queues in PostgreSQL`,
  });
}
if (!embedded.mqtt) {
  external.push({
    name: 'MQTT broker',
    host: ingestorConfig.MQTT_HOST,
    port: ingestorConfig.MQTT_PORT,
    hint: `start one (mosquitto -d -c /etc/mosquitto/mosquitto.conf; or docker compose up -d emqx), or unset MQTT_HOST to run an embedded one`,
  });
}
const missing = await unreachable(external);
if (missing.length > 0) {
  fail(missing.map((s) => `${s.name} is not reachable at ${s.host}:${s.port}: ${s.hint}`).join('\n'));
}

/** What is running, in start order; stopped in reverse order. */
const started: Closable[] = [];
const stopStarted = async () => {
  for (const part of [...started].reverse()) {
    await part.close().catch((error: unknown) => logger.error(`stopping ${part.name}: ${String(error)}`));
  }
};
/** A failed start-up stops what already runs (the embedded PostgreSQL above all) before exiting. */
async function step<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    await stopStarted();
    fail(`${what}: ${(error as Error).message}`);
  }
}

if (embedded.postgres) {
  const postgresLog = new Logger('PostgreSQL');
  const options = embedded.postgres;
  const postgres = await step('could not start the embedded PostgreSQL', () =>
    EmbeddedPostgres.start({ ...options, log: (line) => postgresLog.log(line) }),
  );
  started.push({ name: 'embedded PostgreSQL', close: () => postgres.stop() });
  // The apps connect as the cluster's app role, with the password kept in its data directory.
  ingestorConfig = { ...ingestorConfig, DATABASE_URL: postgres.appDatabaseUrl };
  apiConfig = { ...apiConfig, DATABASE_URL: postgres.appDatabaseUrl };
}
await step('could not prepare the database', () =>
  deployDatabase(ingestorConfig.DATABASE_URL, (line) => logger.log(line)),
);
let broker: EmbeddedBroker | undefined;
if (embedded.mqtt) {
  const brokerLog = new Logger('MQTT broker');
  const { host, port, portChosen } = embedded.mqtt;
  // The ingestor's identity on the broker: without MQTT_PASSWORD a fresh one each start, handed to
  // the in-process ingestor below, so nobody else can read device traffic or take its session.
  const ingestorIdentity = {
    username: ingestorConfig.MQTT_USERNAME ?? 'sck-ingest',
    password: ingestorConfig.MQTT_PASSWORD ?? randomBytes(24).toString('base64url'),
    clientIdPrefix: ingestorConfig.MQTT_CLIENT_ID,
  };
  ingestorConfig = {
    ...ingestorConfig,
    MQTT_USERNAME: ingestorIdentity.username,
    MQTT_PASSWORD: ingestorIdentity.password,
  };
  const startBroker = (on: number) =>
    EmbeddedBroker.start({
      host,
      port: on,
      firstClientIdPrefix: `${ingestorConfig.MQTT_CLIENT_ID}-`,
      policy: { ingestor: ingestorIdentity },
      // At most what the ingestor accepts: a packet's remaining length bounds its payload.
      maxPacketBytes: ingestorConfig.MAX_PAYLOAD_BYTES,
      log: (line) => brokerLog.warn(line),
    });
  const running = await step('could not start the embedded MQTT broker', async () => {
    try {
      return await startBroker(port);
    } catch (error) {
      // The default port is often held by a broker already installed (Mosquitto on 1883): rather
      // than refuse to start, listen on a free port and say so. A port chosen explicitly is kept.
      if (portChosen || (error as { code?: string }).code !== 'EADDRINUSE') throw error;
      const fallback = await startBroker(0);
      logger.warn(
        `port ${port} is taken (another MQTT broker?); the embedded broker listens on ${fallback.port} instead. ` +
          `Point devices there, set EMBEDDED_MQTT_PORT to choose a port, or MQTT_HOST to use the broker on ${port}.`,
      );
      return fallback;
    }
  });
  broker = running;
  ingestorConfig = { ...ingestorConfig, MQTT_PORT: running.port };
  started.push({ name: 'embedded MQTT broker', close: () => running.close() });
}
const ingestor = await step('could not start the ingestor', () => startIngestor(ingestorConfig));
started.push({ name: 'ingestor', close: () => ingestor.close() });
// startIngestor resolves once the pool has subscribed: now devices' messages have a taker.
broker?.acceptDevices();
const api = await step('could not start the REST API', () => startApi(apiConfig));
started.push({ name: 'api', close: () => api.app.close() });

process.stdout.write(
  `\n${startupBanner(config, { api: api.port, ingestor: ingestor.port, broker: broker?.port })}\nCtrl-C stops everything.\n\n`,
);
// The ingestor first (it stores and acknowledges what it holds, through the broker and into the
// database), then the API, then the embedded broker, the embedded PostgreSQL last.
const apps = started.filter((part) => part.name === 'ingestor' || part.name === 'api');
const services = started.filter((part) => !apps.includes(part)).reverse();
closeOnSignals([...apps, ...services], ingestorConfig.SHUTDOWN_TIMEOUT_MS, (line) => logger.log(line));
