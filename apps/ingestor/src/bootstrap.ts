import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type IngestorConfig, logLevelsUpTo } from '../../../libs/config/src/index.js';
import { IngestorModule } from './ingestor.module.js';
import { MqttPoolServer } from './mqtt/mqtt-pool.server.js';

export interface RunningIngestor {
  app: INestApplication;
  pool: MqttPoolServer;
  /** The port the health/metrics HTTP server listens on. */
  port: number;
  /**
   * Stops in the safe order: the MQTT pool first (unsubscribe, store and acknowledge what was
   * delivered, disconnect), then the app and its database pool. Nest's own app.close() runs the
   * modules' destroy hooks before closing microservices, which would drain into a closed database.
   */
  close(): Promise<void>;
}

/**
 * A hybrid Nest app: a small HTTP server (health, readiness, metrics) plus the MQTT pool as a
 * custom microservice transport whose handlers live in IngestController.
 */
export async function startIngestor(config: IngestorConfig): Promise<RunningIngestor> {
  const pool = new MqttPoolServer({
    host: config.MQTT_HOST,
    port: config.MQTT_PORT,
    tls: config.MQTT_TLS,
    username: config.MQTT_USERNAME,
    password: config.MQTT_PASSWORD,
    clientId: config.MQTT_CLIENT_ID,
    connections: config.MQTT_CONNECTIONS,
    receiveMaximum: config.MQTT_RECEIVE_MAXIMUM,
    maxInFlightBytes: config.MQTT_INFLIGHT_MAX_BYTES,
    keepaliveSeconds: config.MQTT_KEEPALIVE_SECONDS,
    sessionExpirySeconds: config.MQTT_SESSION_EXPIRY_SECONDS,
    sharedSubscription: config.MQTT_SHARED_SUBSCRIPTION,
    protocolVersion: config.MQTT_PROTOCOL_VERSION,
    topicPrefixes: config.MQTT_TOPIC_PREFIXES,
    drainTimeoutMs: config.SHUTDOWN_TIMEOUT_MS / 2,
  });
  const app = await NestFactory.create(IngestorModule.forRoot(config, pool), {
    logger: logLevelsUpTo(config.LOG_LEVEL),
    abortOnError: false,
  });
  app.connectMicroservice({ strategy: pool });
  // Initialise every module (sensor catalogue loaded, batcher ready) before the first MQTT
  // connection: a resumed session delivers its pending messages right after CONNACK.
  await app.init();
  await app.startAllMicroservices();
  await app.listen(config.INGESTOR_PORT, config.HOST);
  const address = (app.getHttpServer() as import('node:net').Server).address() as { port: number };
  new Logger('Ingestor').log(`health and metrics on http://${config.HOST}:${address.port}`);
  return {
    app,
    pool,
    port: address.port,
    async close() {
      await pool.close();
      await app.close();
    },
  };
}
