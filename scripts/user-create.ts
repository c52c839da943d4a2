import { z } from 'zod';
import { loadApiConfig } from '#config';
import { PrismaService, USER_ROLES, UsersRepository, generateApiToken, hashApiToken } from '#db';
import { fail, flagsToEnv, usage } from './cli.js';

const { env, values } = flagsToEnv(
  process.argv.slice(2),
  { 'database-url': 'DATABASE_URL' },
  { username: { type: 'string' }, role: { type: 'string' } },
);
if (values.help) {
  usage(`
npm run user:create -- --username ana [--role admin|researcher|citizen] [--database-url postgresql://…]
Creates a user (role citizen unless given) and prints their API token. The token is shown only
this once: only its SHA-256 is stored.`);
}
const args = z
  .object({
    username: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, '--username: 1 to 64 letters, digits, ".", "-" or "_"'),
    role: z.enum(USER_ROLES, { error: `--role must be one of ${USER_ROLES.join(', ')}` }).default('citizen'),
  })
  .safeParse(values);
if (!args.success) fail(args.error.issues.map((i) => i.message).join('\n'));

const token = generateApiToken();
const db = new PrismaService({ url: loadApiConfig(env).DATABASE_URL, poolSize: 1 });
try {
  const user = await new UsersRepository(db).createUserWithToken({
    ...args.data,
    tokenHash: hashApiToken(token),
  });
  console.log(JSON.stringify({ id: user.id, username: user.username, role: user.role, token }));
  console.error('Keep the token now: it is not stored and cannot be shown again.');
} catch (error) {
  const code = (error as { code?: string }).code;
  fail(code === 'P2002' ? `a user named "${args.data.username}" exists already` : String(error));
} finally {
  await db.onModuleDestroy();
}
