import pg from 'pg';

/** The advisory lock key of the live relay (hashtext('sck_live_relay') would do; a constant is clearer). */
const RELAY_LOCK_KEY = 0x5c6b_1ead;

/**
 * Leadership of the live relay among ingestors: a session advisory lock held on a connection of
 * its own. Only the holder publishes the firehose, enqueues forwards and prunes the outbox, so
 * several ingestors do not publish each batch several times. The lock goes with the connection: a
 * crashed leader's lock is released by PostgreSQL and another ingestor takes over from the saved
 * positions.
 */
export class LiveLeaderLock {
  private client: pg.Client | undefined;
  private held = false;

  constructor(private readonly url: string) {}

  get isHeld(): boolean {
    return this.held;
  }

  /** Tries to become (or confirms being) the leader. Never throws: false while the database is away. */
  async tryAcquire(): Promise<boolean> {
    if (this.held && this.client) return true;
    try {
      if (!this.client) {
        const client = new pg.Client({ connectionString: this.url });
        client.on('error', () => this.drop(client));
        client.on('end', () => this.drop(client));
        this.client = client;
        await client.connect();
      }
      const { rows } = await this.client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock($1) AS ok', [
        RELAY_LOCK_KEY,
      ]);
      this.held = rows[0].ok;
    } catch {
      if (this.client) this.drop(this.client);
    }
    return this.held;
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.held = false;
    await client?.end().catch(() => undefined);
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = undefined;
    this.held = false;
    client.end().catch(() => undefined);
  }
}
