import type pg from 'pg';
import { IngestRepository, PrismaService, type StoredReading } from '#db';
import { decodeJsonReadings, decodeRawReadings, parseTimestamp } from '#domain';
import type { Fleet, FleetMessage } from '../../tools/simulator/fleet.js';
import { perSecond } from '../../tools/simulator/rate.js';
import { type BenchContext, startPhase } from '../context.js';
import type { Backlog } from '../drain.js';
import { log } from '../processes.js';
import type { Target } from '../target.js';
import { type BaselineColumns, insertBaselineBatch } from './baseline-insert.js';

export interface WriteCeiling {
  batches: number;
  readingsPerBatch: number;
  concurrency: number;
  /** The baseline's statement: one unnest INSERT … ON CONFLICT DO NOTHING, pg directly. */
  baselineStatementPerSecond: number;
  /** The ingestor's IngestRepository.storeBatch (readings, new sensor pairs, device times), on the pg pool behind Prisma. */
  ingestorStatementPerSecond: number;
  /** Only storeBatch's readings INSERT, on the same pool: what the sensor pairs and device times cost. */
  readingsOnlyPerSecond: number;
}

/** The backlog's readings as rows, in the order they were sent, cut into batches of about `size`. */
export function batchesOf(
  backlog: readonly FleetMessage[],
  tokens: readonly string[],
  ids: Map<string, number>,
  size: number,
): StoredReading[][] {
  const batches: StoredReading[][] = [];
  let batch: StoredReading[] = [];
  for (const message of backlog) {
    if (message.kind !== 'raw' && message.kind !== 'json') continue;
    const deviceId = ids.get(tokens[message.device]);
    if (deviceId === undefined) continue;
    const payload = Buffer.from(message.payload);
    const decoded = message.kind === 'raw' ? decodeRawReadings(payload) : decodeJsonReadings(payload);
    if (!decoded.ok) continue;
    for (const reading of decoded.readings) {
      const recordedAt = parseTimestamp(String(reading.recordedAt));
      if (recordedAt === null) continue;
      for (const item of reading.items) {
        batch.push({ deviceId, sensorId: Number(item.id), recordedAt, value: Number(item.value) });
      }
    }
    if (batch.length >= size) {
      batches.push(batch);
      batch = [];
    }
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}

const byKey = (a: StoredReading, b: StoredReading) =>
  a.deviceId - b.deviceId || a.sensorId - b.sensorId || a.recordedAt - b.recordedAt;

async function timeBatches(
  batches: StoredReading[][],
  concurrency: number,
  write: (batch: StoredReading[]) => Promise<unknown>,
): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < batches.length) await write(batches[next++]);
    }),
  );
  const rows = batches.reduce((sum, b) => sum + b.length, 0);
  return perSecond(rows, performance.now() - started);
}

/**
 * How fast Postgres takes the two write shapes alone, on the same batches, without MQTT, decoding
 * or acknowledgements: the ceiling each pipeline's write path puts on its throughput.
 */
export async function measureWriteCeiling(
  databaseUrl: string,
  sql: pg.Pool,
  backlog: readonly FleetMessage[],
  tokens: readonly string[],
  ids: Map<string, number>,
  readingsPerBatch: number,
  concurrency = 2,
): Promise<WriteCeiling> {
  const batches = batchesOf(backlog, tokens, ids, readingsPerBatch);
  const reset = () => sql.query('TRUNCATE readings, device_sensors');
  await reset();
  const baselineStatementPerSecond = await timeBatches(batches, concurrency, async (unsorted) => {
    const batch = [...unsorted].sort(byKey);
    const columns: BaselineColumns = [
      batch.map((r) => r.deviceId),
      batch.map((r) => r.sensorId),
      batch.map((r) => new Date(r.recordedAt).toISOString()),
      batch.map((r) => r.value),
    ];
    return insertBaselineBatch(sql, columns);
  });
  await reset();
  const prisma = new PrismaService({ url: databaseUrl, poolSize: concurrency });
  const repository = new IngestRepository(prisma);
  try {
    const ingestorStatementPerSecond = await timeBatches(batches, concurrency, (batch) =>
      repository.storeBatch({ readings: batch, errors: [] }),
    );
    await reset();
    const column = (batch: StoredReading[], pick: (row: StoredReading) => number) =>
      batch.map(pick).join(',');
    const readingsOnlyPerSecond = await timeBatches(batches, concurrency, (batch) => {
      const sorted = [...batch].sort(byKey);
      return prisma.pool.query(
        `INSERT INTO readings (device_id, sensor_id, recorded_at, value)
         SELECT r.device_id, r.sensor_id, to_timestamp(r.at), r.value
           FROM unnest(string_to_array($1::text, ',')::int[], string_to_array($2::text, ',')::int[],
                       string_to_array($3::text, ',')::float8[], string_to_array($4::text, ',')::float8[])
             AS r(device_id, sensor_id, at, value)
         ON CONFLICT DO NOTHING`,
        [
          column(sorted, (r) => r.deviceId),
          column(sorted, (r) => r.sensorId),
          column(sorted, (r) => r.recordedAt / 1000),
          column(sorted, (r) => r.value),
        ],
      );
    });
    return {
      batches: batches.length,
      readingsPerBatch,
      concurrency,
      baselineStatementPerSecond,
      ingestorStatementPerSecond,
      readingsOnlyPerSecond,
    };
  } finally {
    await prisma.onModuleDestroy();
    await reset();
  }
}

/** The two write paths alone on the backlog's batches, cut at the ingestor's mean batch size. */
export async function writeCeilingPhase(
  context: BenchContext,
  main: Target,
  fleet: Fleet,
  backlog: Backlog,
  ids: Map<string, number>,
  meanReadingsPerBatch: number,
): Promise<WriteCeiling> {
  startPhase(context, 'writeCeiling');
  const ceiling = await measureWriteCeiling(
    main.databaseUrl,
    main.sql,
    backlog.messages,
    fleet.tokens,
    ids,
    Math.round(meanReadingsPerBatch) || 1000,
  );
  log(
    `write ceiling: baseline statement ${ceiling.baselineStatementPerSecond.toFixed(0)}/s, ` +
      `ingestor storeBatch ${ceiling.ingestorStatementPerSecond.toFixed(0)}/s, ` +
      `readings only ${ceiling.readingsOnlyPerSecond.toFixed(0)}/s`,
  );
  return ceiling;
}
