/** Where the test services are; override with TEST_DATABASE_URL / TEST_REDIS_URL. */
export const ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
// Overridable so test runs of several work trees on one Postgres do not drop each other's databases.
export const TEMPLATE_DATABASE = process.env.TEST_TEMPLATE_DATABASE ?? 'sck_test_template';
/** Prefix of the per-file databases; the global setup drops leftovers with this prefix only. */
export const TEST_DATABASE_PREFIX = process.env.TEST_DATABASE_PREFIX ?? 'sck_t_';
export const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}
