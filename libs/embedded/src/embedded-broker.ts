import { type Server, createServer } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBrokerOptions {
  host: string;
  port: number;
  log: (line: string) => void;
}

/**
 * An MQTT 3.1.1 broker in this process (aedes), for single-node deployments: devices connect to
 * it as they would to Mosquitto or EMQX. Sessions and queued messages live in memory (aedes'
 * default persistence), so persistent sessions work while the process runs; the ingestor drains
 * what it was delivered before the broker closes. It has no shared subscriptions, so the ingestor
 * subscribes with one plain connection.
 */
export class EmbeddedBroker {
  private constructor(
    private readonly broker: Aedes,
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(options: EmbeddedBrokerOptions): Promise<EmbeddedBroker> {
    const broker = await Aedes.createBroker();
    broker.on('clientError', (client, error) => options.log(`client ${client.id}: ${error.message}`));
    const server = createServer((socket) => broker.handle(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        broker.close();
        reject(
          error.code === 'EADDRINUSE'
            ? new Error(
                `port ${options.port} is taken (another MQTT broker?): set EMBEDDED_MQTT_PORT to a free port, or MQTT_HOST to use that broker`,
              )
            : error,
        );
      });
      server.listen(options.port, options.host, () => resolve());
    });
    const { port } = server.address() as { port: number };
    return new EmbeddedBroker(broker, server, port);
  }

  /** Disconnects every client and stops listening. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.broker.close(() => resolve()));
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
