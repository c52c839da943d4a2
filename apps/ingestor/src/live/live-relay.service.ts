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
import { ForwardOutput } from './forward.output.js';
import { IngestService } from '../pipeline/ingest.service.js';
import type { LiveOutput } from './live-output.js';
import { SendWindow } from './send-window.js';

/** Batches handed to an output at once; fewer while it is paced, so that its pauses stay short. */
const RELAY_PAGE = 500;
const PACED_PAGE = 50;
/** Pages an output may still be sending while the relay reads the next (none while paced). */
const SEND_AHEAD = 2;
/** How often a follower ingestor asks whether it may lead; also the retry after a failed send. */
const RETRY_MS = 2000;
/**
 * Wait before reading again while a committed batch waits behind an older open transaction
 * (usually a batch about to commit; any open transaction that may write live_outbox holds the
 * horizon, see liveHorizon, and only batches notify), doubling up to PENDING_MAX_MS.
 */
const PENDING_MS = 10;
const PENDING_MAX_MS = 100;
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
  private readonly reading = new Map<string, { from: LivePosition; window: SendWindow }>();
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
    if (output.only === 'forwarded' && state.window.size === 0 && (await this.skipUnforwarded(state))) {
      await this.outbox.savePosition(output.name, state.from);
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
   * the check found no forwarding device (it was stored while its device did not forward). True
   * when it did so. Once a forwarding device is seen, pages are read as usual and the check waits
   * FORWARDING_RECHECK_MS.
   */
  private async skipUnforwarded(state: { from: LivePosition }): Promise<boolean> {
    if (performance.now() < this.forwardingSeenUntil) return false;
    const horizon = await this.outbox.horizon();
    if (await this.outbox.anyDeviceForwards()) {
      this.forwardingSeenUntil = performance.now() + FORWARDING_RECHECK_MS;
      return false;
    }
    if (comparePositions(horizon, state.from) > 0) state.from = horizon;
    return true;
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

/** The serialised loop of one output: one step at a time, again at once while batches wait. */
export class OutputLoop {
  private running: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private failing = false;
  private pendingReads = 0;
  /** True while a delay no notification may cut short runs (retry, follower, paced backlog). */
  private held = false;

  constructor(
    private readonly output: LiveOutput,
    private readonly relay: LiveRelayService,
  ) {}

  wake(): void {
    if (this.held) return;
    if (this.running) {
      this.again = true;
      return;
    }
    clearTimeout(this.timer);
    this.running = this.run().finally(() => (this.running = undefined));
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  idle(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private async run(): Promise<void> {
    let delay: number;
    // Notifications shorten the poll, not the retry delay of a failing output or of a follower.
    let wakeable: boolean;
    try {
      const next = await this.relay.step(this.output);
      if (this.failing) this.relay.recovered(this.output);
      this.failing = false;
      wakeable = next !== null && typeof next !== 'object';
      this.pendingReads = next === 'pending' ? this.pendingReads + 1 : 0;
      delay =
        next === null
          ? RETRY_MS
          : next === 'pending'
            ? Math.min(PENDING_MS * 2 ** (this.pendingReads - 1), PENDING_MAX_MS)
            : typeof next === 'object'
              ? next.holdMs
              : next;
    } catch (error) {
      this.relay.report(this.output, error, !this.failing);
      this.failing = true;
      wakeable = false;
      delay = RETRY_MS;
    }
    if (this.relay.isStopped) return;
    if ((this.again && wakeable) || delay === 0) {
      this.again = false;
      setImmediate(() => this.wake());
    } else {
      this.again = false;
      this.held = !wakeable;
      this.timer = setTimeout(() => {
        this.held = false;
        this.wake();
      }, delay);
    }
  }
}
