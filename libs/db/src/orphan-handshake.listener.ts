import { Inject, Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import pg from 'pg';
import type { DbOptions } from './client.js';
import { ORPHAN_HANDSHAKE_CHANNEL, type OrphanHandshakeNotice } from './orphan-handshake.statement.js';
import { DB_OPTIONS } from './prisma.service.js';

type Handler = (notice: OrphanHandshakeNotice) => void;

const RECONNECT_MS = 1000;

/**
 * LISTENs on ORPHAN_HANDSHAKE_CHANNEL on one connection of its own, opened while anyone is
 * subscribed, and hands each notice to the subscribers of its onboarding session and to those of
 * every session. A lost connection is reopened; session subscribers re-read the orphan after
 * subscribing, so a notice sent while no connection was open is not missed by them.
 */
@Injectable()
export class OrphanHandshakeListener implements OnModuleDestroy {
  private readonly logger = new Logger('OrphanHandshake');
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly everyone = new Set<Handler>();
  private client: pg.Client | null = null;
  private connecting: Promise<void> | null = null;
  private closed = false;

  constructor(@Inject(DB_OPTIONS) private readonly options: DbOptions) {}

  /** Calls `handler` on the session's handshake notice; resolves once LISTEN is in place. */
  subscribe(session: string, handler: Handler): Promise<() => void> {
    const set = this.handlers.get(session) ?? new Set<Handler>();
    set.add(handler);
    this.handlers.set(session, set);
    return this.listening(() => {
      set.delete(handler);
      if (set.size === 0) this.handlers.delete(session);
    });
  }

  /** Calls `handler` on every handshake notice; resolves once LISTEN is in place. */
  subscribeAll(handler: Handler): Promise<() => void> {
    this.everyone.add(handler);
    return this.listening(() => void this.everyone.delete(handler));
  }

  /** Connects if need be and resolves to `unsubscribe`; undoes the subscription if it cannot. */
  private async listening(unsubscribe: () => void): Promise<() => void> {
    try {
      await this.connect();
    } catch (error) {
      unsubscribe();
      throw error;
    }
    return unsubscribe;
  }

  private get wanted(): boolean {
    return this.handlers.size > 0 || this.everyone.size > 0;
  }

  private connect(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.open().finally(() => (this.connecting = null));
    return this.connecting;
  }

  private async open(): Promise<void> {
    const client = new pg.Client({ connectionString: this.options.url });
    client.on('notification', (message) => this.dispatch(message.payload));
    client.on('error', (error) => {
      this.logger.warn(`LISTEN connection lost: ${error.message}`);
      this.drop(client);
    });
    client.on('end', () => this.drop(client));
    await client.connect();
    await client.query(`LISTEN ${ORPHAN_HANDSHAKE_CHANNEL}`);
    this.client = client;
  }

  private drop(client: pg.Client): void {
    if (this.client !== client) return;
    this.client = null;
    client.end().catch(() => undefined);
    if (this.closed || !this.wanted) return;
    setTimeout(() => {
      if (!this.closed && this.wanted) this.connect().catch(() => undefined);
    }, RECONNECT_MS).unref();
  }

  private dispatch(payload: string | undefined): void {
    let notice: OrphanHandshakeNotice;
    try {
      notice = JSON.parse(payload ?? '') as OrphanHandshakeNotice;
    } catch {
      return;
    }
    for (const handler of this.handlers.get(notice.onboarding_session) ?? []) handler(notice);
    for (const handler of this.everyone) handler(notice);
  }

  async onModuleDestroy(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.client = null;
    await client?.end().catch(() => undefined);
  }
}
