import { loadApiConfig } from '#config';
import { DeviceTokenTakenError, DevicesRepository, PrismaService } from '#db';
import { generateDeviceToken } from '#domain';
import { enqueueReplayParked, queueBackend } from '#queues';
import { fail, flagsToEnv, usage } from './cli.js';

const { env, values } = flagsToEnv(
  process.argv.slice(2),
  { 'database-url': 'DATABASE_URL', 'redis-url': 'REDIS_URL', 'queue-prefix': 'QUEUE_PREFIX' },
  {
    token: { type: 'string' },
    name: { type: 'string' },
    reactivate: { type: 'boolean' },
    kit: { type: 'boolean' },
  },
);
if (values.help) {
  usage(`
npm run device:create -- --name "My kit" [--token abc123 | --kit] [--database-url postgresql://…]
npm run device:create -- --reactivate --token abc123
Registers a device (or re-activates an archived one), then enqueues the replay of the messages its
token sent while it had no active device. Without --token a random 20-character token is generated;
--kit makes the 6-character form a Smart Citizen Kit takes.
If Redis is unreachable the device is registered anyway: the ingestor's periodic sweep replays
its parked messages later.`);
}
const reactivate = values.reactivate === true;
if (!reactivate && (typeof values.name !== 'string' || values.name.trim() === '')) fail('--name is required');
if (reactivate && typeof values.token !== 'string') fail('--reactivate needs --token');

const token =
  typeof values.token === 'string'
    ? values.token
    : generateDeviceToken(values.kit === true ? 'kit' : 'default');
if (!/^[^/+#\s]+$/.test(token)) fail(`--token "${token}" must be non-empty, without "/", "+", "#" or spaces`);

const config = loadApiConfig(env);
const db = new PrismaService({ url: config.DATABASE_URL, poolSize: 1 });
const devices = new DevicesRepository(db);
try {
  const device = reactivate
    ? await devices.reactivateDevice(token)
    : await devices.createDevice({ token, name: values.name as string });
  if (!device) fail(`no archived device has the token "${token}"`);
  console.log(JSON.stringify({ id: device.id, token: device.token, name: device.name }));
} catch (error) {
  fail(
    error instanceof DeviceTokenTakenError
      ? `a device with the token "${token}" exists already`
      : String(error),
  );
} finally {
  await db.onModuleDestroy();
}

try {
  await enqueueReplayParked({ backend: queueBackend(config), token });
} catch (error) {
  console.error(
    `warning: replay of parked messages not enqueued (${(error as Error).message}); the ingestor's periodic sweep will replay them`,
  );
}
