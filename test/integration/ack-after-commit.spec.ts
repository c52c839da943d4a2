import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { kitTraffic, useContext } from '../helpers/context.js';
import { waitFor } from '../../tools/harness/poll.js';

const ctx = useContext({ broker: true });
const countReadings = () => ctx.readingCount();
/** Messages of `tokens.length` kits, `perKit` readings each, one second apart. */
const traffic = (tokens: string[], perKit: number, start: number) => kitTraffic(tokens, perKit, { start });
/** Ingestor settings under which batches never flush on their own (huge size, long timer). */
const holding = (overrides: Record<string, string>) =>
  ctx.ingestorEnv({ BATCH_MAX_WAIT_MS: '60000', BATCH_MAX_ROWS: '100000', ...overrides });

describe('ack after commit', () => {
  it('redelivers what a SIGKILLed ingestor had received but not committed, and stores it exactly once', async () => {
    const tokens = ['kill01', 'kill02', 'kill03'];
    for (const t of tokens) await ctx.newDevice(t);
    const clientId = 'ackcrash';
    // More than twice as many members as messages (a batch is also due at half the pool while a
    // write slot is free).
    const env = holding({ MQTT_CLIENT_ID: clientId, MQTT_CONNECTIONS: '16', MQTT_RECEIVE_MAXIMUM: '1' });
    const first = await ctx.spawnIngestor(env);
    const messages = traffic(tokens, 2, Date.UTC(2024, 4, 1));
    await ctx.send(messages, { settle: false });
    // Every member took its message (one each: the next comes only after an ack) and none is acked.
    await ctx.metricAtLeast(first, 'sck_ingest_mqtt_received_total', messages.length, {
      what: 'the ingestor to receive every message',
    });
    expect(await first.metric('sck_ingest_batches_total')).toBe(0);
    await first.kill('SIGKILL');
    expect((await countReadings()).rows).toBe(0);

    // Same client ids: the broker hands the sessions' unacknowledged messages back.
    const second = await ctx.spawnIngestor({ ...env, BATCH_MAX_WAIT_MS: '20' });
    const expected = messages.length * 8; // 8 sensors per sample reading
    const stored = await waitFor(countReadings, (c) => c.rows >= expected, { what: `${expected} readings` });
    expect(stored).toEqual({ rows: expected, distinct: expected });

    // And nothing more arrives later: publish a marker and wait for it, then recount.
    await ctx.send(traffic(['kill01'], 1, Date.UTC(2024, 5, 1)), { settle: false });
    await waitFor(countReadings, (c) => c.rows === expected + 8, { what: 'the marker reading' });
    expect(await countReadings()).toEqual({ rows: expected + 8, distinct: expected + 8 });
    await second.kill('SIGTERM');
  });

  it('holds several unacknowledged messages on one connection and acknowledges none before they are stored', async () => {
    const tokens = ['win01', 'win02'];
    for (const t of tokens) await ctx.newDevice(t);
    const window = 10;
    const env = holding({
      MQTT_CLIENT_ID: 'ackwindow',
      MQTT_CONNECTIONS: '1',
      MQTT_RECEIVE_MAXIMUM: String(window),
    });
    const first = await ctx.spawnIngestor(env);
    // Fewer than half the window: the batcher would flush a full (or, with a free write slot, a
    // half-full) window at once.
    const messages = traffic(tokens, 2, Date.UTC(2024, 6, 1));
    await ctx.send(messages, { settle: false });
    // The one connection takes them all (with one message per connection it would hold one).
    await ctx.metricAtLeast(first, 'sck_ingest_mqtt_received_total', messages.length, {
      what: `the ingestor to receive ${messages.length} messages on one connection`,
    });
    expect(await first.metric('sck_ingest_batches_total')).toBe(0);
    await first.kill('SIGKILL');

    // Nothing was stored, so nothing was acked: every message comes back to the session.
    const before = (await countReadings()).rows;
    const second = await ctx.spawnIngestor({ ...env, BATCH_MAX_WAIT_MS: '20' });
    const expected = before + messages.length * 8;
    const stored = await waitFor(countReadings, (c) => c.rows >= expected, { what: `${expected} readings` });
    expect(stored).toEqual({ rows: expected, distinct: expected });
    await second.kill('SIGTERM');
  });

  it('stops reading while the messages it holds exceed MQTT_INFLIGHT_MAX_BYTES', async () => {
    await ctx.newDevice('big001');
    const ingestor = await ctx.spawnIngestor(
      holding({ MQTT_CLIENT_ID: 'bytebudget', MQTT_CONNECTIONS: '1', MQTT_INFLIGHT_MAX_BYTES: '65536' }),
    );
    // 40 kB each, valid, so the whole payload is held until stored (a rejected one would be cut
    // to a prefix at once): the second takes the pool over its 64 KiB budget, the third must wait.
    const big = Array.from({ length: 3 }, (_, i) => ({
      topic: 'device/sck/big001/readings/raw',
      payload: `{t:2024-01-01T00:00:0${i}Z,${'55:1.00,'.repeat(5000)}}`,
    }));
    await ctx.send(big, { settle: false });
    await waitFor(
      () => ingestor.metric('sck_ingest_mqtt_received_total'),
      (n) => n >= 2,
      { what: 'the first two large messages' },
    );
    await sleep(500);
    expect(await ingestor.metric('sck_ingest_mqtt_received_total')).toBe(2);
    await ingestor.kill('SIGKILL');
  });
});
