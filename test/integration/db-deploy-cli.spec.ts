import { randomBytes } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { databaseUrl, TEST_DATABASE_PREFIX, withAdmin } from '../../tools/harness/env.js';
import { runScript } from '../../tools/harness/typescript.js';

const name = `${TEST_DATABASE_PREFIX}deploy_${randomBytes(3).toString('hex')}`;
const exists = () =>
  withAdmin(
    async (admin) =>
      (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1,
  );

afterAll(() => withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)));

it('npm run db:deploy -- --help prints its usage and touches no database', async () => {
  const out = await runScript('db-deploy', ['--help'], { DATABASE_URL: databaseUrl(name) });
  expect(out).toContain('npm run db:deploy [-- --database-url');
  expect(await exists()).toBe(false);
});

it('npm run db:deploy -- --database-url creates the database, migrates it and seeds the catalogue', async () => {
  const out = await runScript('db-deploy', ['--database-url', databaseUrl(name)], { DATABASE_URL: '' });
  expect(out).toContain(`database ready: ${name}`);
  const sensors = await withAdmin(
    async (admin) => (await admin.query<{ n: number }>('SELECT count(*)::int AS n FROM sensors')).rows[0].n,
    databaseUrl(name),
  );
  expect(sensors).toBeGreaterThan(0);
});
