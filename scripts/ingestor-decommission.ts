import { loadIngestorConfig } from '#config';
import { setTimeout as sleep } from 'node:timers/promises';
import { type GroupMember, IngestorInstancesRepository, PrismaService } from '#db';
import { fail, flagsToEnv, usage } from './cli.js';

const { env, values } = flagsToEnv(
  process.argv.slice(2),
  { 'database-url': 'DATABASE_URL', 'client-id': 'MQTT_CLIENT_ID' },
  { force: { type: 'boolean' }, 'timeout-ms': { type: 'string' } },
);
if (values.help) {
  usage(`
npm run ingestor:decommission -- [--client-id sck-ingest-2] [--force] [--timeout-ms 120000] [--database-url postgresql://…]
Scale-down of one ingestor (default: MQTT_CLIENT_ID of this environment): it unsubscribes, stores
and acknowledges what the broker still delivers, ends its broker sessions, leaves its group and
exits 0. Refused when no other live member of its shared subscription would remain (the broker
would drop what kits publish meanwhile); --force overrides. A plain SIGTERM is a restart instead:
the broker keeps the sessions and queues for them. See docs/guarantees.md.`);
}
const timeoutMs = Number(values['timeout-ms'] ?? 120_000);
if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) fail('--timeout-ms must be a positive integer');

const config = loadIngestorConfig(env);
const clientId = config.MQTT_CLIENT_ID;
const describe = (m: GroupMember) =>
  `${m.clientId} (${m.host} pid ${m.pid}, ${m.state}, last seen ${m.lastSeenAt.toISOString()})`;
const db = new PrismaService({ url: config.DATABASE_URL, poolSize: 1 });
const instances = new IngestorInstancesRepository(db);
let exitCode = 0;
try {
  const request = await instances.requestDecommission(clientId, values.force === true);
  switch (request.outcome) {
    case 'unknown':
      throw new Error(`no ingestor is registered as ${clientId} (table ingestor_instances)`);
    case 'not-live':
      throw new Error(
        `${describe(request.member)} is not live: nothing would answer the request. Its broker sessions and ` +
          `queued share stay until an ingestor with MQTT_CLIENT_ID=${clientId} runs; start one, then decommission it.`,
      );
    case 'last-live-member':
      throw new Error(
        `refusing to decommission ${clientId}: it is the last live member of ${request.member.subscription}, ` +
          'so the broker would drop what kits publish until another ingestor subscribes. Start another ' +
          'ingestor first (or SIGTERM this one for a restart, which keeps its session), or pass --force.',
      );
    case 'requested':
      console.log(
        `decommission of ${clientId} requested; live members remaining: ${request.remaining.map((m) => m.clientId).join(', ') || 'none (--force)'}`,
      );
  }
  const deadline = Date.now() + timeoutMs;
  let state = await instances.findInstanceState(clientId);
  while (state !== null && state !== 'stopped' && Date.now() < deadline) {
    await sleep(250);
    state = await instances.findInstanceState(clientId);
  }
  if (state === null) {
    console.log(`${clientId} decommissioned: sessions ended, left its group`);
  } else if (state === 'stopped') {
    exitCode = 1;
    console.error(
      `${clientId} stopped with unacknowledged messages, so its sessions were kept; start it again to deliver them`,
    );
  } else {
    exitCode = 1;
    console.error(`${clientId} has not finished decommissioning after ${timeoutMs} ms (state ${state})`);
  }
} catch (error) {
  exitCode = 1;
  console.error((error as Error).message);
} finally {
  await db.onModuleDestroy();
}
process.exit(exitCode);
