/**
 * Spill throughput against Redis with the persistence we ship (AOF, `appendfsync always`) next to
 * `appendfsync everysec`: spill jobs the size of a full ingestor batch, added the way the
 * store-forward path adds them (BullMQ, BATCH_CONCURRENCY of them at a time). Prints jobs/s and
 * messages/s for each. Run: node --conditions=source --import @swc-node/register/esm-register bench/spill-fsync.ts
 */
import { rawPacket, sampleValues } from '../tools/simulator/samples.js';
import { createQueue } from '#queues';
import { seededRandom } from '../tools/simulator/random.js';
import { startRedis } from '../tools/harness/redis.js';

const JOBS = Number(process.env.SPILL_JOBS ?? 400);
const MESSAGES_PER_JOB = Number(process.env.SPILL_MESSAGES ?? 256);
const CONCURRENCY = 2;

const random = seededRandom(7);
const entries = Array.from({ length: MESSAGES_PER_JOB }, (_, i) => {
  const values = sampleValues(random, false);
  const payload = rawPacket(Date.UTC(2024, 0, 1) + i * 1000, values);
  return {
    kind: 'raw',
    topic: `device/sck/kit${i}/readings/raw`,
    token: `kit${i}`,
    payload: Buffer.from(payload).toString('base64'),
    receivedAt: new Date().toISOString(),
    readings: values.map((v) => ({
      sensorId: v.id,
      recordedAt: Date.UTC(2024, 0, 1) + i * 1000,
      value: v.value,
    })),
  };
});
const jobBytes = JSON.stringify({ entries }).length;

async function measure(fsync: 'always' | 'everysec'): Promise<void> {
  const redis = await startRedis({ aofAsShipped: true, appendfsync: fsync });
  const queue = createQueue('store-forward', { kind: 'redis', url: redis.url, prefix: 'spillbench' });
  try {
    await queue.add('warm-up', { entries });
    const started = process.hrtime.bigint();
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next++ < JOBS) await queue.add('write-spilled-batch', { entries });
      }),
    );
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    console.log(
      `appendfsync ${fsync}: ${JOBS} spill jobs of ${MESSAGES_PER_JOB} messages (${Math.round(jobBytes / 1024)} KiB) in ${seconds.toFixed(2)} s = ${Math.round(JOBS / seconds)} jobs/s, ${Math.round((JOBS * MESSAGES_PER_JOB) / seconds)} messages/s, ${((seconds / JOBS) * 1000).toFixed(2)} ms/job`,
    );
  } finally {
    await queue.close();
    await redis.stop();
  }
}

await measure('always');
await measure('everysec');
