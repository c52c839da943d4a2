import mqtt from 'mqtt';
import pg from 'pg';
import { type BaselineColumns, insertBaselineBatch } from './baseline-insert.js';

/**
 * The benchmark's reference point: the least a pipeline can do and still store the traffic.
 * One auto-acking MQTT.js subscriber, a trivial split of the raw form (JSON.parse for the JSON
 * form), no validation, one unnest INSERT … ON CONFLICT DO NOTHING per batch with pg directly,
 * no latest values, no ack-after-commit. Run as its own process by bench/phases/baseline.ts:
 *   baseline-consumer.ts <mqtt url> <database url> <rows per batch>
 * prints `ready` once subscribed and `committed <rows>` as batches commit.
 */
const [url, databaseUrl, rowsPerBatch] = process.argv.slice(2);
/** The ingestor's BATCH_MAX_ROWS, so that both pipelines cut the same traffic into the same batches. */
const MAX_ROWS = Number(rowsPerBatch);
if (!Number.isInteger(MAX_ROWS) || MAX_ROWS < 1) {
  throw new Error(
    `usage: baseline-consumer.ts <mqtt url> <database url> <rows per batch>; got "${rowsPerBatch}"`,
  );
}
const MAX_WAIT_MS = 20;
const MAX_FLUSHES = 2;

const pool = new pg.Pool({ connectionString: databaseUrl, max: MAX_FLUSHES });
const { rows: deviceRows } = await pool.query<{ id: number; token: string }>('SELECT id, token FROM devices');
const devices = new Map(deviceRows.map((r) => [r.token, r.id]));

let deviceIds: number[] = [];
let sensorIds: number[] = [];
let times: string[] = [];
let values: number[] = [];
let flushing = 0;
let committed = 0;
let deadlocks = 0;
let timer: NodeJS.Timeout | undefined;

const add = (device: number, sensor: number, at: string, value: number) => {
  deviceIds.push(device);
  sensorIds.push(sensor);
  times.push(at);
  values.push(value);
};

const flush = () => {
  clearTimeout(timer);
  timer = undefined;
  if (deviceIds.length === 0 || flushing >= MAX_FLUSHES) return;
  // Sorted by key, as the ingestor does: two unsorted batches sharing a duplicate can deadlock,
  // and Postgres takes deadlock_timeout (1 s) to notice, which would stall the baseline.
  const order = Array.from(deviceIds.keys()).sort(
    (a, b) =>
      deviceIds[a] - deviceIds[b] ||
      sensorIds[a] - sensorIds[b] ||
      (times[a] < times[b] ? -1 : times[a] > times[b] ? 1 : 0),
  );
  const params: BaselineColumns = [
    order.map((i) => deviceIds[i]),
    order.map((i) => sensorIds[i]),
    order.map((i) => times[i]),
    order.map((i) => values[i]),
  ];
  deviceIds = [];
  sensorIds = [];
  times = [];
  values = [];
  flushing++;
  insertBaselineBatch(pool, params, () => deadlocks++)
    .then(
      (inserted) => {
        committed += inserted;
      },
      (error: Error) => console.error(`batch failed: ${error.message}`),
    )
    .finally(() => {
      flushing--;
      if (deviceIds.length >= MAX_ROWS) flush();
      else schedule();
    });
};

const schedule = () => {
  if (deviceIds.length >= MAX_ROWS) flush();
  else if (deviceIds.length > 0 && !timer) timer = setTimeout(flush, MAX_WAIT_MS);
};

const client = await mqtt.connectAsync(url, {
  clientId: `baseline-${process.pid}`,
  clean: true,
  keepalive: 300,
});
client.on('message', (topic, payload) => {
  const parts = topic.split('/');
  const device = devices.get(parts[2]);
  if (device === undefined) return;
  const text = payload.toString('latin1');
  if (parts[4] === 'raw') {
    let at = '';
    const pairs = text.slice(1, -1).split(',');
    for (const pair of pairs) if (pair.startsWith('t:')) at = pair.slice(2);
    for (const pair of pairs) {
      const colon = pair.indexOf(':');
      if (pair[0] !== 't') add(device, Number(pair.slice(0, colon)), at, Number(pair.slice(colon + 1)));
    }
  } else {
    const body = JSON.parse(text) as {
      data: { recorded_at: string; sensors: { id: number; value: number }[] }[];
    };
    for (const reading of body.data) {
      for (const s of reading.sensors) add(device, Number(s.id), reading.recorded_at, Number(s.value));
    }
  }
  schedule();
});
await client.subscribeAsync(['device/sck/+/readings', 'device/sck/+/readings/raw'], { qos: 1 });
console.log('ready');
setInterval(() => console.log(`committed ${committed} ${deadlocks}`), 100).unref();
process.on('SIGTERM', () => {
  void client.endAsync().then(() => pool.end().then(() => process.exit(0)));
});
