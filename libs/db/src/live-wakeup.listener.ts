import { Logger } from '@nestjs/common';
import pg from 'pg';
import { LIVE_OUTBOX_CHANNEL } from './live-outbox.statements.js';

const RECONNECT_MS = 1000;

/**
 * LISTENs for committed live batches on a connection of its own and calls `onWake` for each
 * notification, and once after every (re)connect, since notifications sent while it was away are
 * lost. Readers also poll: a wake-up only shortens the wait.
 */
export class LiveWakeupListener {
  private readonly logger = new Logger('LiveWakeup');
  private client: pg.Client | undefined;
  private retry: NodeJS.Timeout | undefined;
  private stopped = false;
  private down = false;

  constructor(
    private readonly url: string,
    private readonly onWake: () => void,
  ) {}

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url });
    client.on('error', () => this.reconnect(client));
    client.on('end', () => this.reconnect(client));
    client.on('notification', () => this.onWake());
    this.client = client;
    try {
      await client.connect();
      await client.query(`LISTEN ${LIVE_OUTBOX_CHANNEL}`);
      if (this.down) this.logger.log('listening for live batches again');
      this.down = false;
      this.onWake();
    } catch (error) {
      if (!this.down && !this.stopped) this.logger.warn(`cannot listen for live batches: ${String(error)}`);
      this.down = true;
      this.reconnect(client);
    }
  }

  private reconnect(client: pg.Client): void {
    if (this.stopped || this.client !== client) return;
    this.client = undefined;
    client.end().catch(() => undefined);
    this.retry = setTimeout(() => void this.connect(), RECONNECT_MS);
  }
}
