import { createHash } from 'node:crypto';
import pg from 'pg';

/** Where the test services are; override with TEST_DATABASE_URL / TEST_REDIS_URL. */
export const ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * Test databases are named per checkout, so two checkouts testing against the same PostgreSQL
 * (two branches, or CI next to a developer) never drop each other's databases.
 */
const checkout = createHash('sha1').update(process.cwd()).digest('hex').slice(0, 8);
export const TEST_DATABASE_PREFIX = `scktest_${checkout}_`;
export const TEMPLATE_DATABASE = `${TEST_DATABASE_PREFIX}template`;

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Runs `work` on a connection to the admin database (`url`, the tests' by default; the bench passes
 * its own), closed afterwards whatever happens.
 */
export async function withAdmin<T>(
  work: (client: pg.Client) => Promise<T>,
  url = ADMIN_DATABASE_URL,
): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
