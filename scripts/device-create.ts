import { randomBytes } from 'node:crypto';
import { loadApiConfig } from '../libs/config/src/index.js';
import { createPrismaClient } from '../libs/db/src/index.js';
import { createDevice } from '../libs/db/src/devices.repository.js';
import { fail, flagsToEnv, usage } from './cli.js';

const { env, values } = flagsToEnv(
  process.argv.slice(2),
  { 'database-url': 'DATABASE_URL' },
  {
    token: { type: 'string' },
    name: { type: 'string' },
  },
);
if (values.help) {
  usage(`
npm run device:create -- --name "My kit" [--token abc123] [--database-url postgresql://…]
Registers a device. Without --token a random 6-character token is generated.`);
}
if (typeof values.name !== 'string' || values.name.trim() === '') fail('--name is required');

const token = typeof values.token === 'string' ? values.token : randomBytes(6).toString('hex').slice(0, 6);
if (!/^[^/+#\s]+$/.test(token)) fail(`--token "${token}" must be non-empty, without "/", "+", "#" or spaces`);

const { prisma, pool } = createPrismaClient({ url: loadApiConfig(env).DATABASE_URL, poolSize: 1 });
try {
  const device = await createDevice(prisma, { token, name: values.name });
  console.log(JSON.stringify({ id: device.id, token: device.token, name: device.name }));
} catch (error) {
  const code = (error as { code?: string }).code;
  fail(code === 'P2002' ? `a device with the token "${token}" exists already` : String(error));
} finally {
  await prisma.$disconnect();
  await pool.end();
}
