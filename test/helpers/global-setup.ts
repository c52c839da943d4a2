import { deployDatabase } from '#db';
import { TEMPLATE_DATABASE, TEST_DATABASE_PREFIX, databaseUrl, withAdmin } from '../../tools/harness/env.js';

async function dropTemplate(): Promise<void> {
  await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE_DATABASE} WITH (FORCE)`));
}

/**
 * Builds the migrated, seeded template every test file clones its own database from, and drops it
 * once the run is over, so that every checkout that ran the tests (a CI clone, say) does not leave
 * a template behind.
 */
export default async function setup(): Promise<() => Promise<void>> {
  await dropTemplate();
  await withAdmin(async (admin) => {
    // Leftovers of an interrupted run of this checkout (never another checkout's).
    const { rows } = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE starts_with(datname, $1)`,
      [TEST_DATABASE_PREFIX],
    );
    for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
  });
  await deployDatabase(databaseUrl(TEMPLATE_DATABASE));
  return dropTemplate;
}
