import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

/** How long a scrape waits for a dependency or a queue before reporting it down. */
const CHECK_TIMEOUT_MS = 1000;

/** The job counts per queue that the metrics report. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;

/** What the queue metrics read of a queue; QueueProducer (libs/queues) provides it. */
export interface CountableQueue {
  readonly name: string;
  counts(states: readonly string[]): Promise<Record<string, number>>;
}

/** What the database metrics read; HealthRepository (libs/db) provides it. */
export interface DatabaseProbe {
  poolConnections(): { total: number; idle: number; waiting: number };
  /** Resolves when the database answers. */
  ping(): Promise<unknown>;
}

/**
 * Scrapes closer together than this reuse the last dependency and queue results: a poller such as
 * the benchmark (every 100 ms) must not add database and Redis round trips to the path it measures.
 */
const REUSE_MS = 1000;

/** `read` at most once per REUSE_MS; callers in between share the last (or pending) result. */
function reused<T>(read: () => Promise<T>): () => Promise<T> {
  let last: { at: number; result: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (!last || now - last.at >= REUSE_MS) last = { at: now, result: read() };
    return last.result;
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The metrics both apps share, in the app's prom-client registry: process metrics (RSS, CPU, event
 * loop lag), the database pool, whether PostgreSQL and Redis answer, and job counts per queue.
 * Everything but the process metrics is read at scrape time, so a scrape shows the state now.
 */
export class AppMetrics {
  private readonly checks = new Map<string, () => Promise<number>>();

  constructor(readonly registry: Registry = new Registry()) {
    collectDefaultMetrics({ register: registry });
    const checks = this.checks;
    new Gauge({
      name: 'sck_dependency_up',
      help: 'Whether a dependency (postgres, redis) answered at the last scrape: 1 up, 0 down',
      labelNames: ['dependency'],
      registers: [registry],
      async collect() {
        await Promise.all(
          [...checks].map(async ([dependency, check]) => this.set({ dependency }, await check())),
        );
      },
    });
  }

  /** Reports `dependency` up while `check` resolves within the scrape's timeout. */
  checkDependency(dependency: string, check: () => Promise<unknown>): void {
    this.checks.set(
      dependency,
      reused(() =>
        withTimeout(check(), CHECK_TIMEOUT_MS).then(
          () => 1,
          () => 0,
        ),
      ),
    );
  }

  /** Pool connections by state and `sck_dependency_up{dependency="postgres"}`. */
  watchDatabase(db: DatabaseProbe): void {
    new Gauge({
      name: 'sck_db_pool_connections',
      help: 'PostgreSQL pool connections, by state (total, idle, waiting: callers queued for one)',
      labelNames: ['state'],
      registers: [this.registry],
      collect() {
        const connections = db.poolConnections();
        this.set({ state: 'total' }, connections.total);
        this.set({ state: 'idle' }, connections.idle);
        this.set({ state: 'waiting' }, connections.waiting);
      },
    });
    this.checkDependency('postgres', () => db.ping());
  }

  /** `sck_queue_jobs{queue,state}`; a queue whose store does not answer keeps its last counts. */
  watchQueues(queues: CountableQueue[]): void {
    const readers = queues.map((queue) => ({
      name: queue.name,
      read: reused(() => withTimeout(queue.counts(QUEUE_STATES), CHECK_TIMEOUT_MS).catch(() => null)),
    }));
    new Gauge({
      name: 'sck_queue_jobs',
      help: 'BullMQ jobs per queue and state (waiting, active, delayed, failed)',
      labelNames: ['queue', 'state'],
      registers: [this.registry],
      async collect() {
        await Promise.all(
          readers.map(async ({ name, read }) => {
            const counts = await read();
            if (!counts) return;
            for (const state of QUEUE_STATES) this.set({ queue: name, state }, counts[state] ?? 0);
          }),
        );
      },
    });
  }
}
