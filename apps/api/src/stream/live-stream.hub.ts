import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { ApiConfig } from '#config';
import { comparePositions, type LivePosition, LiveOutboxRepository, LiveWakeupListener } from '#db';
import { API_CONFIG } from '../api.tokens.js';
import type { StreamClient } from './stream-client.js';

/** Batches read from the outbox per query, by the hub and by each client catching up. */
export const STREAM_PAGE = 200;
const KEEPALIVE_MS = 15_000;
const RETRY_MS = 1000;
/**
 * Wait before reading again while a committed batch waits behind an older open transaction
 * (usually a batch about to commit; any open transaction that may write live_outbox holds the
 * horizon, and only batches notify), doubling up to PENDING_MAX_MS.
 */
const PENDING_MS = 10;
const PENDING_MAX_MS = 100;

/**
 * Follows live_outbox for the whole API process (one reader, woken by the commit notifications
 * and by a poll) and writes each new batch to every live client. A client that connects with a
 * Last-Event-ID, or whose socket pushed back, first catches up from the outbox on its own until it
 * reaches the hub's position, then becomes live again: no gap and no repeat, because both follow
 * the same order and a client skips whatever is not after its position.
 */
@Injectable()
export class LiveStreamHub implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('LiveStream');
  private readonly clients = new Set<StreamClient>();
  private position: LivePosition | undefined;
  private starting: Promise<LivePosition> | undefined;
  private listener: LiveWakeupListener | undefined;
  private reading = false;
  private again = false;
  private pendingReads = 0;
  private pollTimer: NodeJS.Timeout | undefined;
  private keepaliveTimer: NodeJS.Timeout | undefined;
  private failing = false;
  private stopped = false;

  constructor(
    private readonly outbox: LiveOutboxRepository,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  onModuleInit(): void {
    if (!this.config.LIVE_ENABLED) return;
    this.listener = new LiveWakeupListener(this.config.DATABASE_URL, () => this.wake());
    this.listener.start();
    this.keepaliveTimer = setInterval(() => {
      for (const client of this.clients) client.write(': keepalive\n\n');
    }, KEEPALIVE_MS);
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.pollTimer);
    clearInterval(this.keepaliveTimer);
    for (const client of this.clients) client.end();
    this.clients.clear();
    await this.listener?.stop();
  }

  get enabled(): boolean {
    return this.config.LIVE_ENABLED;
  }

  get full(): boolean {
    return this.clients.size >= this.config.STREAM_MAX_CLIENTS;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Where a stream without Last-Event-ID starts: after everything the hub has read. */
  async currentPosition(): Promise<LivePosition> {
    if (this.position) return this.position;
    this.starting ??= this.outbox.horizon().finally(() => (this.starting = undefined));
    const start = await this.starting;
    return (this.position ??= start);
  }

  /** Adds a client at its position; it catches up from the outbox, then goes live. */
  add(client: StreamClient): void {
    this.clients.add(client);
    void this.catchUp(client);
  }

  remove(client: StreamClient): void {
    client.closed = true;
    this.clients.delete(client);
  }

  wake(): void {
    if (this.stopped) return;
    if (this.reading) {
      this.again = true;
      return;
    }
    this.reading = true;
    clearTimeout(this.pollTimer);
    this.readNew()
      .then((next) => {
        this.pendingReads = next === 'pending' ? this.pendingReads + 1 : 0;
        const pendingMs = Math.min(PENDING_MS * 2 ** (this.pendingReads - 1), PENDING_MAX_MS);
        this.next(next === 'more' ? 0 : next === 'pending' ? pendingMs : this.config.LIVE_POLL_MS);
      })
      .catch((error: unknown) => {
        if (!this.failing) this.logger.warn(`reading live batches failed: ${String(error)}`);
        this.failing = true;
        this.next(RETRY_MS);
      });
  }

  private next(delayMs: number): void {
    this.reading = false;
    if (this.stopped) return;
    if ((this.again && this.pendingReads === 0) || delayMs === 0) {
      this.again = false;
      setImmediate(() => this.wake());
      return;
    }
    this.pollTimer = setTimeout(() => this.wake(), delayMs);
  }

  /** Reads one page after the hub's position and hands it to the live clients; says when to read next. */
  private async readNew(): Promise<'more' | 'pending' | 'idle'> {
    const from = await this.currentPosition();
    const { batches, more, pending } = await this.outbox.readAfter(from, { limit: STREAM_PAGE });
    this.failing = false;
    for (const batch of batches) {
      for (const client of this.clients) {
        if (client.live && !client.deliver(batch)) {
          client.live = false;
          void this.catchUp(client);
        }
      }
      this.position = { txId: batch.txId, deviceId: batch.deviceId };
    }
    return more ? 'more' : pending ? 'pending' : 'idle';
  }

  /** Brings a client from its position to the hub's, page by page, waiting for its socket. */
  private async catchUp(client: StreamClient): Promise<void> {
    try {
      await client.drained();
      for (;;) {
        if (client.closed) return;
        await this.currentPosition();
        // Read and compared in the same turn as the client goes live: a page the hub delivers
        // meanwhile (to live clients only) would otherwise fall between the two.
        const target = this.position!;
        if (comparePositions(client.position, target) >= 0) {
          client.live = true;
          return;
        }
        const { batches, more } = await this.outbox.readAfter(client.position, {
          limit: STREAM_PAGE,
          upTo: target,
          deviceId: client.filter.deviceId,
        });
        let full = false;
        for (const batch of batches) full = !client.deliver(batch) || full;
        // The live horizon never moves back: a read up to target that found no more covered
        // everything up to it (other devices' batches included, when the client filters).
        if (!more && comparePositions(target, client.position) > 0) client.position = target;
        if (full) await client.drained();
      }
    } catch (error) {
      this.logger.warn(`stream catch-up failed, closing it (the client resumes): ${String(error)}`);
      this.remove(client);
      client.end();
    }
  }
}
