import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { Fleet, FleetMessage } from './fleet.js';
import type { FleetPublisher } from './publisher.js';
import { dueByNow } from './rate.js';

export interface PacedRun {
  /** Messages per second for the whole fleet. */
  rate: number;
  durationMs: number;
  /** Called as each message is handed to the publisher, with Date.now() of that moment. */
  onMessage?: (message: FleetMessage, publishedAt: number) => void;
  onTick?: (elapsedMs: number) => void;
}

export interface TrafficTotals {
  messages: number;
  newReadings: number;
  elapsedMs: number;
}

/** Publishes the fleet's traffic at a steady rate, catching up after stalls rather than drifting. */
export async function publishPaced(
  fleet: Fleet,
  publisher: FleetPublisher,
  run: PacedRun,
): Promise<TrafficTotals> {
  const started = Date.now();
  let messages = 0;
  let newReadings = 0;
  let lastTick = 0;
  for (;;) {
    const elapsed = Date.now() - started;
    if (elapsed >= run.durationMs) break;
    const due = dueByNow(run.rate, elapsed);
    // At most a few thousand per turn so timers and socket callbacks get to run.
    const until = Math.min(due, messages + 2000);
    while (messages < until) {
      const now = Date.now();
      const message = fleet.next(now);
      await publisher.publish(message.topic, message.payload);
      run.onMessage?.(message, now);
      messages++;
      newReadings += message.newReadings;
    }
    if (run.onTick && elapsed - lastTick >= 250) {
      lastTick = elapsed;
      run.onTick(elapsed);
    }
    await sleep(due > messages ? 0 : 2);
  }
  return { messages, newReadings, elapsedMs: Date.now() - started };
}

/** Publishes prepared messages as fast as the publisher's window allows. */
export async function publishPrepared(
  messages: readonly FleetMessage[],
  publisher: FleetPublisher,
  onTick?: (done: number) => void,
): Promise<number> {
  const started = Date.now();
  for (let i = 0; i < messages.length; i++) {
    await publisher.publish(messages[i].topic, messages[i].payload);
    if (i % 5000 === 4999) {
      onTick?.(i + 1);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  await publisher.flush();
  return Date.now() - started;
}

/** Registers the fleet's kits (existing tokens are kept) and returns token → device id. */
export async function registerFleet(
  databaseUrl: string,
  tokens: readonly string[],
): Promise<Map<string, number>> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO devices (token, name)
       SELECT t, 'simulated kit ' || t FROM unnest($1::text[]) AS t
       ON CONFLICT (token) DO NOTHING`,
      [tokens],
    );
    const { rows } = await client.query<{ id: number; token: string }>(
      'SELECT id, token FROM devices WHERE token = ANY($1::text[])',
      [tokens],
    );
    return new Map(rows.map((r) => [r.token, r.id]));
  } finally {
    await client.end();
  }
}
