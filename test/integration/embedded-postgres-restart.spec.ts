import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { expect, it } from 'vitest';
import { EmbeddedPostgres } from '#embedded';
import { waitFor } from '../../tools/harness/poll.js';
import { freePort } from '../../tools/harness/ports.js';

it('an embedded PostgreSQL that dies under the apps is started again, with what it had committed; stop() is not a death', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sck-embedded-pg-'));
  // When the tests run as root, PostgreSQL runs as an unprivileged user that must reach its data.
  chmodSync(dir, 0o755);
  const lines: string[] = [];
  const server = await EmbeddedPostgres.start({
    dataDir: join(dir, 'postgres'),
    port: await freePort(),
    osUser: 'sck-postgres',
    log: (line) => lines.push(line),
  });
  const query = async (sql: string) => {
    const client = new pg.Client({
      connectionString: `${server.url}/postgres`,
      connectionTimeoutMillis: 1000,
    });
    client.on('error', () => undefined);
    await client.connect();
    try {
      return (await client.query(sql)).rows;
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const died = () => lines.filter((l) => l.includes('PostgreSQL exited on its own')).length;
  try {
    await query('CREATE TABLE kept (v int)');
    await query('INSERT INTO kept VALUES (42)');
    const pid = server.pid!;
    process.kill(pid, 'SIGKILL');
    const rows = await waitFor(
      () => query('SELECT v FROM kept').catch(() => null),
      (r) => r !== null,
      { timeoutMs: 60_000, what: 'the embedded PostgreSQL started again' },
    );
    expect(rows).toEqual([{ v: 42 }]);
    expect(server.pid).not.toBe(pid);
    expect(died()).toBe(1);
    await waitFor(
      () => lines.includes('PostgreSQL accepts connections again'),
      (said) => said,
      { what: 'the restart said so' },
    );
  } finally {
    await server.stop();
  }
  await sleep(1500);
  expect(died()).toBe(1);
  await expect(query('SELECT 1')).rejects.toThrow();
  rmSync(dir, { recursive: true, force: true });
});
