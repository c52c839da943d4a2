import { beforeAll, describe, expect, it } from 'vitest';
import { tokenRef } from '#domain';
import { type IngestorProcess } from '../../tools/harness/ingestor.js';
import { settledMessages } from '../helpers/metrics.js';
import { type Message, useContext } from '../helpers/context.js';

const ctx = useContext({ broker: true });
let ingestor: IngestorProcess;

const raw = (token: string) => `device/sck/${token}/readings/raw`;
const send = (messages: Message[]) => ctx.send(messages);
const readingCount = async (deviceId: number) => (await ctx.readingCount(deviceId)).rows;

beforeAll(async () => {
  // Postgres refuses anything of this token: its parking, and the record of that failure.
  await ctx.db.sql.query(`
    CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF NEW.token = 'secretpoison1' THEN RAISE EXCEPTION 'refused by test trigger'; END IF;
      RETURN NEW;
    END $$;
    CREATE TRIGGER refuse_poison BEFORE INSERT ON parked_messages FOR EACH ROW EXECUTE FUNCTION refuse_poison();
    CREATE TRIGGER refuse_poison BEFORE INSERT ON ingest_errors FOR EACH ROW EXECUTE FUNCTION refuse_poison();`);
  ingestor = await ctx.spawnIngestor({ MQTT_CLIENT_ID: 'hostile', LOG_LEVEL: 'log', JOBS_ENABLED: 'false' });
});

describe('hostile input', () => {
  it('a 6,000-character token ends as one unknown_topic record, acknowledged once', async () => {
    const id = (await ctx.newDevice('host01')).id;
    const long = 'k'.repeat(6000);
    await send([
      { topic: raw(long), payload: 'garbage' },
      { topic: raw('host01'), payload: '{t:2024-01-01T00:00:00Z,55:1.00}' },
      { topic: `device/sck/${long}/hello`, payload: 'x' },
      { topic: raw('host01'), payload: '{t:2024-01-01T00:01:00Z,55:2.00}' },
    ]);
    const { rows } = await ctx.db.sql.query<{ reason: string; token: string | null; topic_length: number }>(
      `SELECT reason, token, length(topic) AS topic_length FROM ingest_errors
        WHERE topic LIKE 'device/sck/kkk%' ORDER BY id`,
    );
    expect(rows.map((r) => [r.reason, r.token])).toEqual([
      ['unknown_topic', null],
      ['unknown_topic', null],
    ]);
    for (const r of rows) expect(r.topic_length).toBeLessThanOrEqual(512);
    expect(await readingCount(id)).toBe(2);
    // Nothing comes back: one more message settles with the count exactly one higher.
    const before = await settledMessages(ingestor.port);
    await send([{ topic: raw('host01'), payload: '{t:2024-01-01T00:02:00Z,55:3.00}' }]);
    expect(await settledMessages(ingestor.port)).toBe(before + 1);
    expect(await ctx.db.sql.query(`SELECT 1 FROM parked_messages WHERE length(token) > 64`)).toHaveProperty(
      'rowCount',
      0,
    );
  });

  it('a message that can be neither stored nor recorded is acknowledged, counted and logged without its token', async () => {
    const id = (await ctx.newDevice('host02')).id;
    await send([
      { topic: raw('host02'), payload: '{t:2024-01-01T00:00:00Z,55:1.00}' },
      { topic: raw('secretpoison1'), payload: '{t:2024-01-01T00:00:00Z,55:1.00}' },
      { topic: raw('host02'), payload: '{t:2024-01-01T00:01:00Z,55:2.00}' },
    ]);
    expect(await readingCount(id)).toBe(2);
    expect(await ingestor.metric('sck_ingest_unrecordable_total')).toBe(1);
    const before = await settledMessages(ingestor.port);
    await send([{ topic: raw('host02'), payload: '{t:2024-01-01T00:02:00Z,55:3.00}' }]);
    expect(await settledMessages(ingestor.port)).toBe(before + 1);
    const log = ingestor.output();
    expect(log).toContain(`device/sck/${tokenRef('secretpoison1')}/readings/raw could not be stored`);
    expect(log).toContain('could not be recorded either, acknowledged');
    expect(log).not.toContain('secretpoison1');
    expect(log).not.toContain('kkkkkkkk');
  });

  it('keeps a prefix and the size of a rejected payload', async () => {
    await ctx.newDevice('host03');
    await send([{ topic: raw('host03'), payload: Buffer.alloc(50_000, 'g') }]);
    const { rows } = await ctx.db.sql.query<{ reason: string; payload: Buffer; payload_bytes: number }>(
      `SELECT reason, payload, payload_bytes FROM ingest_errors WHERE token = 'host03'`,
    );
    expect(rows.map((r) => [r.reason, r.payload.length, r.payload_bytes])).toEqual([
      ['raw_grammar', 1024, 50_000],
    ]);
    expect(rows[0].payload.toString()).toBe('g'.repeat(1024));
  });

  it('stores text Postgres would refuse made well-formed, next to the valid messages of its batch', async () => {
    const id = (await ctx.newDevice('host04')).id;
    await send([
      { topic: 'device/inventory', payload: '{"serial":"ok1"}' },
      { topic: 'device/inventory', payload: '{"a":"\\ud800"}' },
      { topic: 'device/sck/host04/info', payload: '{"hw_ver":"\\ud800x","\\u0000k":"v"}' },
      { topic: raw('host04'), payload: '{t:2024-01-01T00:00:00Z,55:1.00}' },
      { topic: 'device/inventory', payload: '{"serial":"ok2"}' },
    ]);
    const inventory = await ctx.db.sql.query<{
      report: unknown;
      report_text: string | null;
      is_valid: boolean;
    }>(`SELECT report, report_text, is_valid FROM device_inventory ORDER BY id`);
    expect(inventory.rows).toEqual([
      { report: { serial: 'ok1' }, report_text: null, is_valid: true },
      { report: null, report_text: '{"a":"\\ud800"}', is_valid: false },
      { report: { serial: 'ok2' }, report_text: null, is_valid: true },
    ]);
    const info = await ctx.db.sql.query<{ hardware_info: unknown }>(
      `SELECT hardware_info FROM devices WHERE id = $1`,
      [id],
    );
    expect(info.rows[0].hardware_info).toEqual({ hw_ver: '\ufffdx', k: 'v' });
    expect(await readingCount(id)).toBe(1);
  });
});
