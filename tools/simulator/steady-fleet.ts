import mqtt, { type MqttClient } from 'mqtt';
import { type Random, seededRandom } from './random.js';
import { rawPacket, type SampleValue, sampleValues } from './samples.js';

export interface SentReading {
  token: string;
  recordedAt: number;
  values: SampleValue[];
}

/**
 * A steady stream of raw readings from many simulated kits over a few connections, at QoS 1 or, as
 * the real firmware does, at QoS 0. It keeps every reading the broker accepted: at QoS 1 those
 * whose PUBACK came back; at QoS 0 (no PUBACK exists) those written whole to an open connection,
 * which on loopback to a running broker is what the broker received. Those must be stored.
 * Connections reconnect on their own, so a broker restart is ridden out like a real kit would.
 */
export class SteadyFleet {
  readonly acked: SentReading[] = [];
  sent = 0;
  private clients: MqttClient[] = [];
  private timer: NodeJS.Timeout | undefined;
  private readonly pending = new Set<Promise<void>>();
  private tick = 0;
  private readonly random: Random;

  constructor(
    private readonly port: number,
    readonly tokens: string[],
    private readonly options: {
      intervalMs: number;
      connections?: number;
      seed?: number;
      startAt?: number;
      reconnectMs?: number;
      qos?: 0 | 1;
      credentials?: { username: string; password: string };
      /**
       * One connection per kit, as the firmware connects: client id = token, no credentials. A
       * locked broker (the shipped config) lets a kit publish only under its own token.
       */
      asKits?: boolean;
    },
  ) {
    this.random = seededRandom(options.seed ?? 42);
  }

  async start(): Promise<void> {
    const asKits = this.options.asKits ?? false;
    const n = asKits ? this.tokens.length : (this.options.connections ?? 4);
    this.clients = await Promise.all(
      Array.from({ length: n }, (_, i) =>
        mqtt.connectAsync(`mqtt://127.0.0.1:${this.port}`, {
          clientId: asKits ? this.tokens[i] : `fleet-${i}-${Math.random().toString(36).slice(2, 6)}`,
          username: asKits ? undefined : this.options.credentials?.username,
          password: asKits ? undefined : this.options.credentials?.password,
          reconnectPeriod: this.options.reconnectMs ?? 250,
          connectTimeout: 2000,
        }),
      ),
    );
    for (const c of this.clients) c.on('error', () => undefined);
    this.timer = setInterval(() => this.publishRound(), this.options.intervalMs);
  }

  /** Stops publishing and waits (bounded) for outstanding PUBACKs. */
  async stop(timeoutMs = 30_000): Promise<void> {
    clearInterval(this.timer);
    await Promise.race([Promise.allSettled([...this.pending]), new Promise((r) => setTimeout(r, timeoutMs))]);
    await Promise.all(this.clients.map((c) => c.endAsync(true).catch(() => undefined)));
  }

  private publishRound(): void {
    const start = this.options.startAt ?? Date.UTC(2024, 0, 1);
    const recordedAt = start + this.tick++ * 1000;
    this.tokens.forEach((token, i) => {
      const values = sampleValues(this.random, false);
      const client = this.clients[i % this.clients.length];
      this.sent++;
      const work = client
        .publishAsync(`device/sck/${token}/readings/raw`, rawPacket(recordedAt, values), {
          qos: this.options.qos ?? 1,
        })
        .then(
          () => {
            this.acked.push({ token, recordedAt, values });
          },
          () => undefined,
        );
      this.pending.add(work);
      void work.finally(() => this.pending.delete(work));
    });
  }
}
