import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
} from '@nestjs/common';
import {
  comparePositions,
  LiveLeaderLock,
  LiveOutboxRepository,
  type LivePosition,
  LiveWakeupListener,
} from '#db';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';
import { FirehoseOutput } from './firehose.output.js';
import { OutputLoop } from './output-loop.js';
import { ForwardOutput } from './forward.output.js';
import { IngestService } from '../pipeline/ingest.service.js';
import type { LiveOutput } from './live-output.js';
import { SendWindow } from './send-window.js';

/** Where an output's next read starts and the pages it is still sending. */
type ReadState = { from: LivePosition; window: SendWindow };

/** Batches handed to an output at once; fewer while it is paced, so that its pauses stay short. */
const RELAY_PAGE = 500;
const PACED_PAGE = 50;
/** Pages an output may still be sending while the relay reads the next (none while paced). */
const SEND_AHEAD = 2;
/** The longest pause between paced steps; one slow step does not hold an output back longer. */
const MAX_BACKLOG_PAUSE_MS = 1000;
/** How long the forwards' relay reads every page after it last saw a forwarding device. */
const FORWARDING_RECHECK_MS = 60_000;
/** How often the leader deletes batches past the retention. */
const PRUNE_EVERY_MS = 60_000;

/**
 * Carries committed batches from live_outbox to the live outputs (firehose, forwards), off the
 * ingest path: it runs on its own connections, woken by the commit notifications and a poll, and
 * a slow or absent broker only delays it. One ingestor at a time leads (LiveLeaderLock); each
 * output keeps its own saved position, so a broker outage holding back the firehose does not hold
 * back forwards, and a new leader resumes where the last one saved.
 */
@Injectable()
export class LiveRelayService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('LiveRelay');
  private readonly lock: LiveLeaderLock;
  private readonly outputs: OutputLoop[];
  /** Per output while leading: where its next read starts and the pages still being sent. */
  private readonly reading = new Map<string, ReadState>();
  private listener: LiveWakeupListener | undefined;
  private pruneTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Until when (performance.now()) the forwards' relay reads pages without checking for forwarders. */
  private forwardingSeenUntil = 0;

  constructor(
    private readonly outbox: LiveOutboxRepository,
    firehose: FirehoseOutput,
    forwards: ForwardOutput,
    private readonly ingest: IngestService,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {
    this.lock = new LiveLeaderLock(config.DATABASE_URL);
    this.outputs = [firehose, forwards].map((output) => new OutputLoop(output, this));
  }

  onApplicationBootstrap(): void {
    if (!this.config.LIVE_ENABLED) return;
    this.listener = new LiveWakeupListener(this.config.DATABASE_URL, () => this.wake());
    this.listener.start();
    this.pruneTimer = setInterval(() => void this.prune(), PRUNE_EVERY_MS);
    this.wake();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearInterval(this.pruneTimer);
    for (const loop of this.outputs) loop.stop();
    await Promise.allSettled(this.outputs.map((loop) => loop.idle()));
    // Pages still in flight are saved once sent, so that a restart does not send them again.
    for (const [name, { window }] of this.reading) {
      const sent = await window.settle(0).catch(() => null);
      if (sent) await this.outbox.savePosition(name, sent).catch(() => undefined);
    }
    await this.listener?.stop();
    await this.lock.release();
  }

  wake(): void {
    if (this.stopped) return;
    for (const loop of this.outputs) loop.wake();
  }

  get pollMs(): number {
    return this.config.LIVE_POLL_MS;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * One relay step for `output`; returns how long to wait before the next (0: at once, 'pending':
   * batches wait behind an older open transaction, `{ holdMs }`: a pause no notification cuts
   * short, while the output is paced or has nothing to send), null when not leading.
   */
  async step(output: LiveOutput): Promise<number | 'pending' | { holdMs: number } | null> {
    const started = performance.now();
    if (!(await this.lock.tryAcquire())) {
      this.reading.delete(output.name);
      return null;
    }
    let state = this.reading.get(output.name);
    if (!state) {
      const saved = (await this.outbox.position(output.name)) ?? (await this.startPosition(output.name));
      state = { from: saved, window: new SendWindow() };
      this.reading.set(output.name, state);
    }
    const skipTo = await this.skipUnforwarded(output, state);
    if (skipTo) {
      if (skipTo !== state.from) await this.outbox.savePosition(output.name, skipTo);
      state.from = skipTo;
      return { holdMs: this.config.LIVE_POLL_MS };
    }
    // Behind, an output takes at most LIVE_DUTY_PERCENT of the time, and while storing is
    // saturated LIVE_SATURATED_DUTY_PERCENT, in short pages, none sent ahead.
    const saturated = this.ingest.saturated;
    const duty = saturated ? this.config.LIVE_SATURATED_DUTY_PERCENT : this.config.LIVE_DUTY_PERCENT;
    const paced = saturated && duty < 100;
    try {
      const { batches, through, more, pending } = await this.outbox.readAfter(state.from, {
        limit: paced ? PACED_PAGE : RELAY_PAGE,
        only: output.only,
      });
      if (through) {
        state.window.push(through, batches.length > 0 ? output.send(batches) : Promise.resolve());
        state.from = through;
      }
      // While more waits, up to SEND_AHEAD pages stay in flight as the next is read; otherwise
      // every page is waited for, so that the saved position is the last one handed over.
      const waitStarted = performance.now();
      const sent = await state.window.settle(more && !paced ? SEND_AHEAD : 0);
      // The wait for acknowledgements is the broker's time (or the queue's), not the process's:
      // the duty counts only the step's own work, so that the first paced step does not pay for
      // the full pages still in flight when storing became saturated.
      const waitedMs = performance.now() - waitStarted;
      if (sent) await this.outbox.savePosition(output.name, sent);
      if (batches.length > 0) {
        this.logger.debug(
          `${output.name}: ${batches.length} batches in ${Math.round(performance.now() - started)} ms, ` +
            `${state.window.size} pages in flight, ${Date.now() - batches[batches.length - 1].storedAt.getTime()} ms ` +
            `after the last was stored${paced ? ' (paced)' : ''}`,
        );
      }
      if (more) {
        const workMs = performance.now() - started - waitedMs;
        const holdMs = backlogPause(workMs, duty);
        return holdMs > 0 ? { holdMs } : 0;
      }
      return pending ? 'pending' : this.config.LIVE_POLL_MS;
    } catch (error) {
      // Read again from the saved position: pages after it may not all have been sent.
      this.reading.delete(output.name);
      throw error;
    }
  }

  /**
   * While no device forwards, the forwards' relay moves past every batch below the live horizon
   * without reading them: the horizon is taken first, so each batch below it committed before
   * the check found no forwarding device (it was stored while its device did not forward).
   * Returns where to go on from (`from` when the horizon is not past it); null: read pages (another
   * output, pages in flight, or a forwarding device seen in the last FORWARDING_RECHECK_MS).
   */
  private async skipUnforwarded(
    output: LiveOutput,
    { from, window }: ReadState,
  ): Promise<LivePosition | null> {
    if (output.only !== 'forwarded' || window.size > 0 || performance.now() < this.forwardingSeenUntil) {
      return null;
    }
    const horizon = await this.outbox.horizon();
    if (await this.outbox.anyDeviceForwards()) {
      this.forwardingSeenUntil = performance.now() + FORWARDING_RECHECK_MS;
      return null;
    }
    return comparePositions(horizon, from) > 0 ? horizon : from;
  }

  /** An output's first run starts at the live horizon: nothing stored before it goes out. */
  private async startPosition(name: string) {
    const start = await this.outbox.horizon();
    await this.outbox.savePosition(name, start);
    return start;
  }

  private async prune(): Promise<void> {
    if (!this.lock.isHeld) return;
    try {
      const deleted = await this.outbox.prune(this.config.LIVE_RETENTION_MINUTES * 60_000);
      if (deleted > 0) this.logger.debug(`pruned ${deleted} live batches past the retention`);
    } catch (error) {
      this.logger.warn(`pruning live batches failed: ${String(error)}`);
    }
  }

  report(output: LiveOutput, error: unknown, first: boolean): void {
    if (first) this.logger.warn(`live output ${output.name} waits: ${String(error)}`);
  }

  recovered(output: LiveOutput): void {
    this.logger.log(`live output ${output.name} is sending again`);
  }
}

/**
 * The pause after a step that left batches waiting: the step's own work (its time less the wait
 * for pages to be acknowledged) scaled so that it fills at most `dutyPercent` of the time (0 at
 * 100 %), at most MAX_BACKLOG_PAUSE_MS: the next step looks again at whether storing is still
 * saturated.
 */
export function backlogPause(stepMs: number, dutyPercent: number): number {
  return Math.min(Math.round(stepMs * (100 / dutyPercent - 1)), MAX_BACKLOG_PAUSE_MS);
}
