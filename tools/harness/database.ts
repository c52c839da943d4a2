import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { TEMPLATE_DATABASE, TEST_DATABASE_PREFIX, databaseUrl, withAdmin } from './env.js';

export interface TestDatabase {
  name: string;
  url: string;
  /** A plain pg pool for assertions on stored rows. */
  sql: pg.Pool;
  drop(): Promise<void>;
}

/** A fresh database cloned from the migrated template: cheap, isolated, real Postgres. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${TEST_DATABASE_PREFIX}${randomBytes(5).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE ${name} TEMPLATE ${TEMPLATE_DATABASE}`));
  const url = databaseUrl(name);
  const sql = new pg.Pool({ connectionString: url, max: 2 });
  // DROP DATABASE … WITH (FORCE) ends idle clients; that is expected, not a test failure.
  sql.on('error', () => undefined);
  return {
    name,
    url,
    sql,
    async drop() {
      await sql.end();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
