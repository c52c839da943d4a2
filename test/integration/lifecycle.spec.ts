import type { Queue } from 'bullmq';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPrismaClient } from '#db';
import { JOBS, QUEUES } from '#queues';
import { REDIS_URL } from '../../tools/harness/env.js';
import { runScript } from '../../tools/harness/typescript.js';
import { runJob, testQueue, waitForJob } from '../helpers/jobs.js';
import { waitFor } from '../../tools/harness/poll.js';
import { type Message, useContext } from '../helpers/context.js';

const ctx = useContext({ broker: true });
let env: Record<string, string>;
let lifecycleQueue: Queue;
let maintenanceQueue: Queue;

const topic = (token: string, kind: string) => `device/sck/${token}/${kind}`;

const send = (messages: Message[]) => ctx.send(messages);
async function errors(token: string) {
  const { rows } = await ctx.db.sql.query(
    'SELECT reason, device_id, payload FROM ingest_errors WHERE token = $1 ORDER BY id',
    [token],
  );
  return rows;
}
async function readings(deviceId: number) {
  const { rows } = await ctx.db.sql.query(
    'SELECT sensor_id, recorded_at, value FROM readings WHERE device_id = $1 ORDER BY recorded_at, sensor_id',
    [deviceId],
  );
  return rows.map((r) => [r.sensor_id, r.recorded_at.toISOString(), r.value]);
}
async function parked(token: string) {
  const { rows } = await ctx.db.sql.query(
    'SELECT kind, payload FROM parked_messages WHERE token = $1 ORDER BY id',
    [token],
  );
  return rows.map((r) => [r.kind, r.payload.toString()]);
}
async function deviceRow(token: string) {
  const { rows } = await ctx.db.sql.query('SELECT * FROM devices WHERE token = $1', [token]);
  return rows[0];
}

/** `npm run device:create` as a child process, against this test's database and queues. */
async function deviceCreate(args: string[]): Promise<{ id: number }> {
  const stdout = await runScript('device-create', args, {
    DATABASE_URL: ctx.db.url,
    REDIS_URL,
    QUEUE_PREFIX: env.QUEUE_PREFIX,
  });
  return JSON.parse(stdout) as { id: number };
}

beforeAll(async () => {
  env = ctx.ingestorEnv({ PARKED_MAX_PER_TOKEN: '5', PARKED_MAX_TOTAL: '12' });
  lifecycleQueue = testQueue(QUEUES.deviceLifecycle, REDIS_URL, env.QUEUE_PREFIX);
  maintenanceQueue = testQueue(QUEUES.maintenance, REDIS_URL, env.QUEUE_PREFIX);
  for (const queue of [lifecycleQueue, maintenanceQueue]) {
    ctx.defer(async () => {
      await queue.obliterate({ force: true }).catch(() => undefined);
      await queue.close();
    });
  }
  await ctx.startIngestor(env);
});

describe('hello, info and inventory', () => {
  it('stores the hello time, and replaces the hardware info with the newest info', async () => {
    const id = (await ctx.newDevice('life01')).id;
    await ctx.db.sql.query(`UPDATE devices SET updated_at = '2024-01-01T00:00:00Z' WHERE id = $1`, [id]);
    const before = Date.now();
    await send([
      { topic: topic('life01', 'hello'), payload: 'life01:Hello' },
      { topic: topic('life01', 'info'), payload: '{"hw_ver":"2.1","esp_ver":"0.1"}' },
    ]);
    await send([{ topic: topic('life01', 'info'), payload: '{"hw_ver":"2.2","mac":"AB:CD"}' }]);
    const row = await deviceRow('life01');
    expect(row.id).toBe(id);
    expect(row.hello_at.getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect(row.hardware_info).toEqual({ hw_ver: '2.2', mac: 'AB:CD' });
    expect(row.hardware_info_at.getTime()).toBeGreaterThanOrEqual(row.hello_at.getTime());
    // Hardware info is not an edit of the device: updated_at does not move.
    expect(row.updated_at.toISOString()).toBe('2024-01-01T00:00:00.000Z');
    expect(await errors('life01')).toEqual([]);
  });

  it('strips control bytes inside an info payload, stores it and records that it did', async () => {
    const id = (await ctx.newDevice('life02')).id;
    const payload = Buffer.from('{"id":"ab\x01cd","sam_ver":"0.9\x1b.7","rcause":"\x00"}', 'latin1');
    await send([{ topic: topic('life02', 'info'), payload }]);
    expect((await deviceRow('life02')).hardware_info).toEqual({ id: 'abcd', sam_ver: '0.9.7', rcause: '' });
    const recorded = await errors('life02');
    expect(recorded.map((e) => [e.reason, e.device_id])).toEqual([['info_sanitized', id]]);
    expect(recorded[0].payload).toEqual(payload);
  });

  it('rejects an info that is not a JSON object, or not JSON, and keeps the stored info', async () => {
    await ctx.newDevice('life03');
    await send([{ topic: topic('life03', 'info'), payload: '{"hw_ver":"1"}' }]);
    await send([
      { topic: topic('life03', 'info'), payload: '["hw_ver", "2"]' },
      { topic: topic('life03', 'info'), payload: '"text"' },
      { topic: topic('life03', 'info'), payload: '{"hw_ver":' },
    ]);
    expect((await deviceRow('life03')).hardware_info).toEqual({ hw_ver: '1' });
    expect((await errors('life03')).map((e) => e.reason).sort()).toEqual([
      'malformed_json',
      'schema',
      'schema',
    ]);
  });

  it('stores inventory reports as received, flagging the ones that are not a JSON object', async () => {
    await send([
      { topic: 'device/inventory', payload: '{"serial":"123456","tests":{"sht31":"ok"}}' },
      { topic: 'device/inventory', payload: 'not json at all' },
    ]);
    const { rows } = await ctx.db.sql.query(
      'SELECT report, report_text, is_valid, received_at FROM device_inventory ORDER BY id',
    );
    expect(rows.map((r) => [r.report, r.report_text, r.is_valid])).toEqual([
      [{ serial: '123456', tests: { sht31: 'ok' } }, null, true],
      [null, 'not json at all', false],
    ]);
    expect(rows.every((r) => r.received_at instanceof Date)).toBe(true);
  });
});

describe('parked messages', () => {
  it('parks messages of an unregistered kit and replays them once after device:create', async () => {
    await send([
      { topic: topic('late01', 'hello'), payload: 'late01:Hello' },
      { topic: topic('late01', 'info'), payload: '{"hw_ver":"2.1\x02"}' },
      { topic: topic('late01', 'readings/raw'), payload: '{t:2024-03-01T10:00:00Z,55:20.50,9999:1}' },
      {
        topic: topic('late01', 'readings'),
        payload: JSON.stringify({
          data: [{ recorded_at: '2024-03-01T10:05:00Z', sensors: [{ id: 55, value: 21 }] }],
        }),
      },
    ]);
    expect((await parked('late01')).map(([kind]) => kind).sort()).toEqual([
      'hello',
      'info',
      'raw',
      'readings',
    ]);
    expect(await errors('late01')).toEqual([]);

    const created = await deviceCreate(['--name', 'Late kit', '--token', 'late01']);
    await waitFor(
      () => parked('late01'),
      (p) => p.length === 0,
      { what: 'the parked messages to be replayed' },
    );
    const expected = [
      [55, '2024-03-01T10:00:00.000Z', 20.5],
      [55, '2024-03-01T10:05:00.000Z', 21],
    ];
    expect(await readings(created.id)).toEqual(expected);
    const row = await deviceRow('late01');
    expect(row.hardware_info).toEqual({ hw_ver: '2.1' });
    expect(row.hello_at).not.toBeNull();
    expect(row.last_reading_at.toISOString()).toBe('2024-03-01T10:05:00.000Z');
    const recorded = (await errors('late01')).map((e) => [e.reason, e.device_id]);
    expect([...recorded].sort()).toEqual([
      ['info_sanitized', created.id],
      ['unknown_sensor', created.id],
    ]);

    // The same replay again (as the API's registration would enqueue it): nothing stored twice.
    const again = await lifecycleQueue.add(JOBS.replayParked, { token: 'late01' });
    expect(await waitForJob(lifecycleQueue, again.id!)).toBe(0);
    expect(await readings(created.id)).toEqual(expected);
    expect((await errors('late01')).map((e) => [e.reason, e.device_id])).toEqual(recorded);
  });

  it('replays the parked messages of an archived device once it is re-activated', async () => {
    const id = (await ctx.newDevice('arch01')).id;
    await ctx.db.sql.query('UPDATE devices SET archived_at = now() WHERE id = $1', [id]);
    const message = { topic: topic('arch01', 'readings/raw'), payload: '{t:2024-04-01T00:00:00Z,55:1.00}' };
    // The kit re-sends while archived: the same reading parked twice is stored once.
    await send([message, message, { topic: topic('arch01', 'hello'), payload: 'arch01:Hello' }]);
    expect(await parked('arch01')).toHaveLength(3);
    expect((await deviceRow('arch01')).hello_at).toBeNull();

    await deviceCreate(['--reactivate', '--token', 'arch01']);
    await waitFor(
      () => parked('arch01'),
      (p) => p.length === 0,
      { what: 'the parked messages to be replayed' },
    );
    expect(await readings(id)).toEqual([[55, '2024-04-01T00:00:00.000Z', 1]]);
    expect((await deviceRow('arch01')).hello_at).not.toBeNull();
    expect(await runJob(lifecycleQueue, JOBS.replayParked, { token: 'arch01' })).toBe(0);
    expect(await readings(id)).toEqual([[55, '2024-04-01T00:00:00.000Z', 1]]);
  });

  it('bounds parked messages per token, recording the overflow with its bytes', async () => {
    const messages = Array.from({ length: 7 }, (_, i) => ({
      topic: topic('flood1', 'readings/raw'),
      payload: `{t:2024-05-01T00:0${i}:00Z,55:${i}.00}`,
    }));
    await send(messages);
    // Messages reach the batches through several MQTT members, so which ones come first is not
    // fixed: five are parked, two recorded, none lost.
    const kept = (await parked('flood1')).map(([, payload]) => payload);
    const overflow = await errors('flood1');
    expect(kept).toHaveLength(5);
    expect(overflow.map((e) => e.reason)).toEqual(['parked_overflow', 'parked_overflow']);
    expect([...kept, ...overflow.map((e) => e.payload.toString())].sort()).toEqual(
      messages.map((m) => m.payload).sort(),
    );
  });

  it('bounds parked messages in total', async () => {
    const { rows } = await ctx.db.sql.query<{ n: string }>('SELECT count(*) AS n FROM parked_messages');
    const room = 12 - Number(rows[0].n);
    expect(room).toBeGreaterThan(0);
    const messages = Array.from({ length: room + 1 }, (_, i) => ({
      topic: topic(`tot${i}`, 'hello'),
      payload: 'hi',
    }));
    await send(messages);
    const { rows: after } = await ctx.db.sql.query<{ n: string }>(
      'SELECT count(*) AS n FROM parked_messages',
    );
    expect(Number(after[0].n)).toBe(12);
    const { rows: over } = await ctx.db.sql.query(
      `SELECT token FROM ingest_errors WHERE reason = 'parked_overflow' AND token LIKE 'tot%'`,
    );
    expect(over).toHaveLength(1);
  });

  it('purges expired parked messages, recording each one', async () => {
    await ctx.db.sql.query(
      `INSERT INTO parked_messages (token, kind, topic, payload, received_at)
       VALUES ('old001', 'raw', 'device/sck/old001/readings/raw', 'x', now() - interval '8 days'),
              ('old001', 'hello', 'device/sck/old001/hello', 'y', now() - interval '1 hour')`,
    );
    expect(await runJob(lifecycleQueue, JOBS.purgeParked, {})).toBe(1);
    expect(await parked('old001')).toEqual([['hello', 'y']]);
    const recorded = await errors('old001');
    expect(recorded.map((e) => [e.reason, e.payload.toString()])).toEqual([['parked_expired', 'x']]);
  });

  it('records an expired parked message with a prefix of its payload and its size', async () => {
    await ctx.db.sql.query(
      `INSERT INTO parked_messages (token, kind, topic, payload, received_at)
       VALUES ('old002', 'raw', 'device/sck/old002/readings/raw', convert_to(repeat('z', 5000), 'UTF8'),
               now() - interval '8 days')`,
    );
    expect(await runJob(lifecycleQueue, JOBS.purgeParked, {})).toBe(1);
    const { rows } = await ctx.db.sql.query<{ payload: Buffer; payload_bytes: number }>(
      `SELECT payload, payload_bytes FROM ingest_errors WHERE token = 'old002'`,
    );
    expect(rows.map((r) => [r.payload.toString(), r.payload_bytes])).toEqual([['z'.repeat(1024), 5000]]);
  });

  it('deletes ingest_errors, device_inventory rows and unregistered kits in setup past their retention', async () => {
    await ctx.db.sql.query(
      `INSERT INTO ingest_errors (reason, message, token, topic, created_at)
       VALUES ('schema', 'old', 'ret001', 't', now() - interval '31 days'),
              ('schema', 'new', 'ret001', 't', now() - interval '29 days')`,
    );
    await ctx.db.sql.query(
      `INSERT INTO device_inventory (topic, report_text, is_valid, received_at)
       VALUES ('device/inventory', 'ret-old', false, now() - interval '366 days'),
              ('device/inventory', 'ret-new', false, now() - interval '364 days')`,
    );
    // Kits in setup: one never registered within 7 days, one created an hour ago.
    await ctx.db.sql.query(
      `INSERT INTO orphan_devices (device_token, name, created_at)
       VALUES ('orp001', 'stale', now() - interval '7 days 1 minute'),
              ('orp002', 'fresh', now() - interval '1 hour')`,
    );
    expect(await runJob(maintenanceQueue, JOBS.purgeRetention, {})).toEqual({
      ingestErrors: 1,
      inventory: 1,
      orphans: 1,
    });
    const orphans = await ctx.db.sql.query<{ name: string }>(
      `SELECT name FROM orphan_devices WHERE device_token LIKE 'orp%'`,
    );
    expect(orphans.rows.map((r) => r.name)).toEqual(['fresh']);
    const left = await ctx.db.sql.query<{ message: string }>(
      `SELECT message FROM ingest_errors WHERE token = 'ret001'`,
    );
    expect(left.rows.map((r) => r.message)).toEqual(['new']);
    const reports = await ctx.db.sql.query<{ report_text: string }>(
      `SELECT report_text FROM device_inventory WHERE report_text LIKE 'ret-%'`,
    );
    expect(reports.rows.map((r) => r.report_text)).toEqual(['ret-new']);
  });

  it('sweeps: replays parked messages of a token whose device was registered without a job', async () => {
    // Room under the total bound, which the previous test filled.
    await ctx.db.sql.query(`DELETE FROM parked_messages WHERE token LIKE 'tot%'`);
    await send([{ topic: topic('sweep1', 'readings/raw'), payload: '{t:2024-06-01T00:00:00Z,55:7.00}' }]);
    expect(await parked('sweep1')).toHaveLength(1);
    const id = (await ctx.newDevice('sweep1')).id;
    expect(await runJob(lifecycleQueue, JOBS.sweepParked, {})).toBeGreaterThanOrEqual(1);
    await waitFor(
      () => readings(id),
      (r) => r.length === 1,
      { what: 'the swept replay' },
    );
    expect(await readings(id)).toEqual([[55, '2024-06-01T00:00:00.000Z', 7]]);
    expect(await parked('sweep1')).toEqual([]);
  });

  it('registers the periodic jobs', async () => {
    const ids = async () => [
      ...(await lifecycleQueue.getJobSchedulers()).map((s) => s.key),
      ...(await maintenanceQueue.getJobSchedulers()).map((s) => s.key),
    ];
    const found = await waitFor(ids, (k) => k.length === 4, { what: 'four job schedulers' });
    expect(found.sort()).toEqual(
      [JOBS.ensurePartitions, JOBS.purgeParked, JOBS.sweepParked, JOBS.purgeRetention].sort(),
    );
  });
});

describe('schema', () => {
  it('matches the Prisma models of the new tables', async () => {
    const { prisma, pool } = createPrismaClient({ url: ctx.db.url, poolSize: 1 });
    try {
      const inventory = await prisma.deviceInventory.findMany({ take: 1, orderBy: { id: 'asc' } });
      expect(inventory[0]).toMatchObject({ isValid: true, reportText: null, topic: 'device/inventory' });
      await expect(prisma.parkedMessage.findMany({ take: 1 })).resolves.toBeInstanceOf(Array);
    } finally {
      await prisma.$disconnect();
      await pool.end();
    }
  });
});

describe('partitions', () => {
  it('stores a reading whose month partition is being attached at the same moment', async () => {
    const id = (await ctx.newDevice('part02')).id;
    // The upkeep's transaction holds the new partition's locks until the ingestor's batch waits.
    const upkeep = await ctx.db.sql.connect();
    try {
      await upkeep.query('BEGIN');
      await upkeep.query(`SELECT ensure_readings_partition('2013-07-01T00:00:00Z')`);
      await ctx.send(
        [{ topic: topic('part02', 'readings/raw'), payload: '{t:2013-07-20T00:00:00Z,55:4.00}' }],
        {
          settle: false,
        },
      );
      await waitFor(
        async () => {
          const { rows } = await ctx.db.sql.query(
            `SELECT count(*)::int AS n FROM pg_stat_activity
              WHERE datname = current_database() AND wait_event_type = 'Lock' AND query ILIKE '%INSERT INTO readings%'`,
          );
          return rows[0].n as number;
        },
        (n) => n > 0,
        { what: 'the batch to wait for the partition lock' },
      );
      await upkeep.query('COMMIT');
    } finally {
      upkeep.release();
    }
    await waitFor(
      () => readings(id),
      (r) => r.length === 1,
      { what: 'the reading to be stored' },
    );
    const { rows } = await ctx.db.sql.query(
      'SELECT tableoid::regclass::text AS part FROM readings WHERE device_id = $1',
      [id],
    );
    expect(rows.map((r) => r.part)).toEqual(['readings_2013_07']);
    expect(await errors('part02')).toEqual([]);
  });

  it('moves a reading of a month without partition into its own month partition', async () => {
    const id = (await ctx.newDevice('part01')).id;
    await send([{ topic: topic('part01', 'readings/raw'), payload: '{t:2015-03-10T08:00:00Z,55:3.00}' }]);
    const where = async () => {
      const { rows } = await ctx.db.sql.query(
        'SELECT tableoid::regclass::text AS part FROM readings WHERE device_id = $1',
        [id],
      );
      return rows.map((r) => r.part);
    };
    expect(await where()).toEqual(['readings_default']);
    await runJob(maintenanceQueue, JOBS.ensurePartitions, {});
    expect(await where()).toEqual(['readings_2015_03']);
    const { rows } = await ctx.db.sql.query(
      `SELECT to_char(now() AT TIME ZONE 'UTC' + make_interval(months => m), '"readings_"YYYY_MM') AS part,
              to_regclass(to_char(now() AT TIME ZONE 'UTC' + make_interval(months => m), '"readings_"YYYY_MM')) IS NOT NULL AS present
         FROM generate_series(0, 2) AS m`,
    );
    expect(rows.every((r) => r.present)).toBe(true);
  });
});
