import { randomBytes } from 'node:crypto';
import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import mqtt, { type MqttClient } from 'mqtt';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';

export class BrokerUnavailableError extends Error {
  override name = 'BrokerUnavailableError';
}

const PUBLISH_TIMEOUT_MS = 10_000;
/** How long a publish waits for a (re)connecting broker before it fails. */
const CONNECT_WAIT_MS = 2000;

/**
 * The ingestor's publishing connection for live outputs (firehose and forwards), separate from the
 * ingest pool. It connects with the ingestor's credentials (MQTT_USERNAME / MQTT_PASSWORD): the
 * shipped brokers let only that identity publish under the live trees. Publishing fails at once
 * while the broker is away instead of queueing in memory; callers retry from the outbox or the
 * forward queue.
 */
@Injectable()
export class LivePublisherAdapter implements OnModuleDestroy {
  private readonly logger = new Logger('LivePublisher');
  private client: MqttClient | undefined;
  private down = false;

  constructor(@Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig) {}

  get connected(): boolean {
    return this.client?.connected ?? false;
  }

  /** Publishes at QoS 1 and resolves on the broker's PUBACK. */
  publish(topic: string, payload: string): Promise<void> {
    return this.publishAll([{ topic, payload }]);
  }

  /**
   * Publishes every message at QoS 1 and resolves once the broker acknowledged them all; fails as
   * a whole (the caller sends the page again) if one fails or the PUBACKs take too long. One timer
   * and one promise for the lot: pages of hundreds of messages go out while batches are stored.
   */
  async publishAll(messages: { topic: string; payload: string }[]): Promise<void> {
    if (messages.length === 0) return;
    const client = this.connect();
    if (!client.connected && !(await this.ready(CONNECT_WAIT_MS))) {
      throw new BrokerUnavailableError('the broker is not connected');
    }
    await new Promise<void>((resolve, reject) => {
      let left = messages.length;
      let settled = false;
      const settle = (error?: Error) => {
        if (settled) return;
        if (error || --left === 0) {
          settled = true;
          clearTimeout(timer);
          if (error)
            reject(
              error instanceof BrokerUnavailableError ? error : new BrokerUnavailableError(String(error)),
            );
          else resolve();
        }
      };
      const timer = setTimeout(
        () => settle(new BrokerUnavailableError(`no PUBACK within ${PUBLISH_TIMEOUT_MS} ms`)),
        PUBLISH_TIMEOUT_MS,
      );
      for (const m of messages)
        client.publish(m.topic, m.payload, { qos: 1 }, (error) => settle(error ?? undefined));
    });
  }

  /** Resolves once connected (or at the deadline, false). */
  async ready(timeoutMs: number): Promise<boolean> {
    const client = this.connect();
    if (client.connected) return true;
    return new Promise((resolve) => {
      const done = (ok: boolean) => {
        clearTimeout(timer);
        client.off('connect', onConnect);
        resolve(ok);
      };
      const onConnect = () => done(true);
      const timer = setTimeout(() => done(false), timeoutMs);
      client.on('connect', onConnect);
    });
  }

  async onModuleDestroy(): Promise<void> {
    await this.client?.endAsync(true).catch(() => undefined);
    this.client = undefined;
  }

  private connect(): MqttClient {
    if (this.client) return this.client;
    const c = this.config;
    const client = mqtt.connect({
      host: c.MQTT_HOST,
      port: c.MQTT_PORT,
      protocol: c.MQTT_TLS ? 'mqtts' : 'mqtt',
      protocolVersion: c.MQTT_PROTOCOL_VERSION,
      clientId: `${c.MQTT_CLIENT_ID}-live-${randomBytes(3).toString('hex')}`,
      username: c.MQTT_USERNAME,
      password: c.MQTT_PASSWORD,
      clean: true,
      keepalive: c.MQTT_KEEPALIVE_SECONDS,
      reconnectPeriod: 1000,
      connectTimeout: 5000,
      // Nothing waits in memory for a broker that is away: the outbox and the queue hold it.
      queueQoSZero: false,
    });
    client.on('connect', () => {
      if (this.down) this.logger.log('live publisher connected again');
      this.down = false;
    });
    client.on('error', (error) => {
      if (!this.down) this.logger.warn(`live publisher: ${error.message}`);
      this.down = true;
    });
    client.on('close', () => {
      if (!this.down) this.logger.warn('live publisher disconnected; live outputs wait for the broker');
      this.down = true;
    });
    this.client = client;
    return client;
  }
}
