import { ConfigError, loadApiConfig } from '#config';
import { deployDatabase } from '#db';
import { fail } from './cli.js';

try {
  const config = loadApiConfig();
  await deployDatabase(config.DATABASE_URL, (line) => console.log(line));
  console.log(`database ready: ${new URL(config.DATABASE_URL).pathname.slice(1)}`);
} catch (error) {
  fail(error instanceof ConfigError ? error.message : `db:deploy failed: ${(error as Error).message}`);
}
