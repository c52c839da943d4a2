import 'reflect-metadata';
import { Logger, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger as PinoLogger } from 'nestjs-pino';
import type { IngestorConfig } from '#config';
import { IngestorModule } from './ingestor.module.js';
import { InstanceHeartbeatService } from './lifecycle/instance-heartbeat.service.js';
import { MqttPoolServer } from './mqtt/mqtt-pool.server.js';

export interface RunningIngestor {
  app: INestApplication;
  pool: MqttPoolServer;
  /** The port the health/metrics HTTP server listens on. */
  port: number;
  /**
   * Restart (SIGTERM): stops in the safe order: the MQTT pool first (stop reading, store and
   * acknowledge what was delivered, disconnect keeping the subscriptions and sessions), then the
   * app and its database pool. Nest's own app.close() runs the modules' destroy hooks before
   * closing microservices, which would drain into a closed database.
   */
  close(): Promise<void>;
  /**
   * Decommission (a scale-down): unsubscribe, store and acknowledge what the broker still
   * delivers, end the sessions, leave the group (its `ingestor_instances` row), then close the app.
   */
  decommission(): Promise<void>;
  /** Registers what runs when an operator requests this ingestor's decommission. */
  whenDecommissionRequested(listener: () => void): void;
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
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(PinoLogger));
  app.connectMicroservice({ strategy: pool });
  // Initialise every module (sensor catalogue loaded, batcher ready) before the first MQTT
  // connection: a resumed session delivers its pending messages right after CONNACK.
  await app.init();
  await app.startAllMicroservices();
  await app.listen(config.INGESTOR_PORT, config.HOST);
  const address = (app.getHttpServer() as import('node:net').Server).address() as { port: number };
  new Logger('Ingestor').log(`health and metrics on http://${config.HOST}:${address.port}`);
  const heartbeat = app.get(InstanceHeartbeatService);
  return {
    app,
    pool,
    port: address.port,
    async close() {
      await pool.stop('restart');
      await heartbeat.stop('restarted');
      await app.close();
    },
    async decommission() {
      await heartbeat.decommissioning();
      const { sessionsEnded } = await pool.stop('decommission');
      await heartbeat.stop(sessionsEnded ? 'decommissioned' : 'decommission-incomplete');
      await app.close();
    },
    whenDecommissionRequested: (listener) => heartbeat.whenDecommissionRequested(listener),
  };
}
