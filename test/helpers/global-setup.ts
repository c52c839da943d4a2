import pg from 'pg';
import { deployDatabase } from '../../libs/db/src/index.js';
import { ADMIN_DATABASE_URL, TEMPLATE_DATABASE, TEST_DATABASE_PREFIX, databaseUrl } from './env.js';

/**
 * Builds the migrated, seeded template every test file clones its own database from, and drops it
 * once the run is over, so that every checkout that ran the tests (a CI clone, say) does not leave
 * a template behind.
 */
export default async function setup(): Promise<() => Promise<void>> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    // Leftovers of an interrupted run of this checkout (never another checkout's).
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
      [TEST_DATABASE_PREFIX],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
  await deployDatabase(databaseUrl(TEMPLATE_DATABASE));
  return async () => {
    const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
    await client.connect();
    try {
      await client.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`);
    } finally {
      await client.end();
    }
  };
}
