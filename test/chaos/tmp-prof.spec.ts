import { afterAll, beforeAll, it } from 'vitest';
import type { IngestorProcess } from '../helpers/ingestor.js';
import { waitFor } from '../helpers/poll.js';
import { connectPublisher } from '../helpers/publisher.js';
import { type ChaosContext, chaosContext } from './context.js';

let ctx: ChaosContext;
let ingestor: IngestorProcess;
beforeAll(async () => {
  ctx = await chaosContext({ devices: 5, broker: { shipped: true } });
  ingestor = await ctx.spawn(
    { MQTT_CLIENT_ID: 'prof', MQTT_CONNECTIONS: '16', LOG_LEVEL: 'warn' },
    { nodeArgs: ['--max-old-space-size=256', '--cpu-prof', '--cpu-prof-dir=/tmp/wt16-prof'], build: 'dist' },
  );
});
afterAll(() => ctx?.close());

it('flood profile', async () => {
  const flooders = await Promise.all(Array.from({ length: 4 }, () => connectPublisher(ctx.broker.port)));
  const payloads = [Buffer.alloc(261_120, 'x'), Buffer.alloc(65_536, 'y')];
  const t0 = Date.now();
  await Promise.all(
    flooders.map(async (f, k) => {
      for (let from = 0; from < 225; from += 20) {
        await Promise.all(
          Array.from({ length: Math.min(20, 225 - from) }, (_, j) =>
            f.publishAsync(`device/sck/anon${k}x${from + j}/readings/raw`, payloads[(from + j) % 2], {
              qos: 1,
            }),
          ),
        );
      }
    }),
  );
  const t1 = Date.now();
  await waitFor(
    () => ingestor.metric('sck_ingest_messages_total'),
    (n) => n >= 900,
    { what: 'all', timeoutMs: 60000 },
  );
  await waitFor(
    () => ingestor.metric('sck_ingest_inflight_messages'),
    (n) => n === 0,
    { what: 'settled' },
  );
  console.log(`DEBUG published ${t1 - t0} ms, settled ${Date.now() - t0} ms`);
  await ingestor.kill('SIGTERM');
});
