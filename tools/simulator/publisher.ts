import { setTimeout as sleep } from 'node:timers/promises';
import mqtt, { type MqttClient } from 'mqtt';

export interface PublisherOptions {
  url: string;
  /** Connections used in turn; a real fleet has one per kit, the bench only needs enough to saturate. */
  connections: number;
  qos: 0 | 1;
  /** Publishes awaiting their PUBACK per connection before `publish` waits. */
  window?: number;
  clientIdPrefix?: string;
  /**
   * A broker that lets kits publish only as themselves (docs/security.md) takes publishes for many
   * tokens over one connection only from the ingestor's identity.
   */
  username?: string;
  password?: string;
}

/**
 * Publishes on behalf of many kits over a few connections, with a bounded number of messages
 * awaiting the broker's PUBACK, counting what was sent and what the broker acknowledged.
 */
export class FleetPublisher {
  sent = 0;
  acked = 0;
  failed = 0;
  private next = 0;
  private readonly pending: number[];
  private readonly waiters: (() => void)[] = [];

  private constructor(
    private readonly clients: MqttClient[],
    private readonly options: PublisherOptions,
  ) {
    this.pending = clients.map(() => 0);
  }

  static async connect(options: PublisherOptions): Promise<FleetPublisher> {
    const prefix = options.clientIdPrefix ?? `sim-${process.pid}`;
    const clients = await Promise.all(
      Array.from({ length: options.connections }, (_, i) =>
        mqtt.connectAsync(options.url, {
          clientId: `${prefix}-${i}`,
          username: options.username,
          password: options.password,
          protocolVersion: 4,
          clean: true,
          reconnectPeriod: 0,
          connectTimeout: 10_000,
          keepalive: 300,
        }),
      ),
    );
    return new FleetPublisher(clients, options);
  }

  /** Resolves once the message is handed to a connection (not once acknowledged). */
  async publish(topic: string, payload: string): Promise<void> {
    const window = this.options.window ?? 500;
    for (;;) {
      for (let tries = 0; tries < this.clients.length; tries++) {
        const index = this.next;
        this.next = (this.next + 1) % this.clients.length;
        if (this.options.qos === 1 && this.pending[index] >= window) continue;
        this.send(index, topic, payload);
        return;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Resolves when every publish so far has been acknowledged (QoS 1) or written (QoS 0). */
  async flush(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.acked + this.failed < this.sent && Date.now() < deadline) {
      await sleep(20);
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((c) => c.endAsync().catch(() => undefined)));
  }

  private send(index: number, topic: string, payload: string): void {
    this.sent++;
    this.pending[index]++;
    this.clients[index].publish(topic, payload, { qos: this.options.qos }, (error) => {
      this.pending[index]--;
      if (error) this.failed++;
      else this.acked++;
      this.waiters.shift()?.();
    });
  }
}

/** One device-side MQTT client on a local broker; every publish through `publishAll` waits for its PUBACK. */
export async function connectPublisher(
  port: number,
  clientId = `pub-${Math.random().toString(36).slice(2, 8)}`,
): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId, reconnectPeriod: 0 });
}

/** Publishes in order, each at QoS 1 unless the message says 0, waiting for each one's PUBACK. */
export async function publishAll(
  client: MqttClient,
  messages: { topic: string; payload: string | Buffer; qos?: 0 | 1 }[],
): Promise<void> {
  for (const m of messages) await client.publishAsync(m.topic, m.payload, { qos: m.qos ?? 1 });
}
