import { ConfigError, loadApiConfig } from '#config';
import { deployDatabase } from '#db';
import { fail, flagsToEnv, usage } from './cli.js';

const { env, values } = flagsToEnv(process.argv.slice(2), { 'database-url': 'DATABASE_URL' });
if (values.help) {
  usage(`
npm run db:deploy [-- --database-url postgresql://…]
Creates the database if it is missing, applies the migrations not yet applied and upserts the
sensor catalogue. Without DATABASE_URL: the embedded PostgreSQL of a running \`npm start\`.`);
}

try {
  const config = loadApiConfig(env);
  await deployDatabase(config.DATABASE_URL, (line) => console.log(line));
  console.log(`database ready: ${new URL(config.DATABASE_URL).pathname.slice(1)}`);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : `db:deploy failed: ${(error as Error).message}`);
}
