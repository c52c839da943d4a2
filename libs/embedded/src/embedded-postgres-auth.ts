import { randomBytes } from 'node:crypto';
import { chown, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import {
  EMBEDDED_APP_ROLE,
  EMBEDDED_CREDENTIALS_FILE,
  EMBEDDED_DATABASE,
  type EmbeddedCredentials,
  readEmbeddedCredentials,
} from '#config';

export interface Owner {
  uid: number;
  gid: number;
}

/**
 * Password (SCRAM) for every connection, on loopback only (no Unix socket is opened): any local
 * OS user can reach the port, so knowing the port must not be enough.
 */
const HBA = `# Written by sck-ingest on every start: password authentication, loopback only.
host all all 127.0.0.1/32 scram-sha-256
host all all ::1/128 scram-sha-256
`;

const password = () => randomBytes(24).toString('base64url');

/** The cluster's passwords, generated (and kept 0600 in its directory) when it has none yet. */
export async function clusterCredentials(
  dir: string,
  owner?: Owner,
): Promise<{ credentials: EmbeddedCredentials; created: boolean }> {
  const existing = readEmbeddedCredentials(dir);
  if (existing) return { credentials: existing, created: false };
  const credentials = { superuser: password(), app: password() };
  const file = join(dir, EMBEDDED_CREDENTIALS_FILE);
  await writeFile(file, `${JSON.stringify(credentials)}\n`, { mode: 0o600 });
  if (owner) await chown(file, owner.uid, owner.gid);
  return { credentials, created: true };
}

/** A password file for initdb --pwfile, readable only by the user initdb runs as. */
export async function writePasswordFile(path: string, secret: string, owner?: Owner): Promise<void> {
  await writeFile(path, `${secret}\n`, { mode: 0o600 });
  if (owner) await chown(path, owner.uid, owner.gid);
}

export async function writeHba(dir: string, owner?: Owner): Promise<void> {
  const file = join(dir, 'pg_hba.conf');
  await writeFile(file, HBA, { mode: 0o600 });
  if (owner) await chown(file, owner.uid, owner.gid);
}

const quoteLiteral = (value: string) => `'${value.replace(/'/g, "''")}'`;

/**
 * Sets the superuser's password (a cluster from before password authentication still trusts
 * loopback at this point), writes pg_hba.conf and reloads it, then makes the app role and its
 * database: the role owns the database and everything in it, and is no superuser.
 */
export async function secureCluster(
  superuserUrl: string,
  dir: string,
  credentials: EmbeddedCredentials,
  owner?: Owner,
): Promise<void> {
  const admin = new pg.Client({ connectionString: `${superuserUrl}/postgres` });
  await admin.connect();
  try {
    await admin.query(`ALTER ROLE postgres PASSWORD ${quoteLiteral(credentials.superuser)}`);
    await writeHba(dir, owner);
    await admin.query('SELECT pg_reload_conf()');
    const role = await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [EMBEDDED_APP_ROLE]);
    await admin.query(
      `${role.rowCount ? 'ALTER' : 'CREATE'} ROLE ${EMBEDDED_APP_ROLE} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE PASSWORD ${quoteLiteral(credentials.app)}`,
    );
    const db = await admin.query<{ owner: string }>(
      'SELECT pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname = $1',
      [EMBEDDED_DATABASE],
    );
    if (db.rowCount === 0) {
      await admin.query(`CREATE DATABASE ${EMBEDDED_DATABASE} OWNER ${EMBEDDED_APP_ROLE}`);
    } else if (db.rows[0].owner !== EMBEDDED_APP_ROLE) {
      await admin.query(`ALTER DATABASE ${EMBEDDED_DATABASE} OWNER TO ${EMBEDDED_APP_ROLE}`);
    }
  } finally {
    await admin.end();
  }
  await handOverObjects(`${superuserUrl}/${EMBEDDED_DATABASE}`);
}

/**
 * A database made before the app role existed holds tables, sequences, schemas and functions the
 * superuser owns: they pass to the app role (REASSIGN OWNED cannot take them from the bootstrap
 * superuser). Nothing to do on later starts.
 */
async function handOverObjects(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`DO $$
      DECLARE r record;
      BEGIN
        FOR r IN SELECT nspname FROM pg_namespace
                  WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema'
                    AND nspowner <> '${EMBEDDED_APP_ROLE}'::regrole LOOP
          EXECUTE format('ALTER SCHEMA %I OWNER TO ${EMBEDDED_APP_ROLE}', r.nspname);
        END LOOP;
        FOR r IN SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
                    AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
                    AND c.relowner <> '${EMBEDDED_APP_ROLE}'::regrole LOOP
          EXECUTE format('ALTER TABLE %I.%I OWNER TO ${EMBEDDED_APP_ROLE}', r.nspname, r.relname);
        END LOOP;
        FOR r IN SELECT p.oid::regprocedure AS fn FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
                  WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'
                    AND p.proowner <> '${EMBEDDED_APP_ROLE}'::regrole LOOP
          EXECUTE format('ALTER ROUTINE %s OWNER TO ${EMBEDDED_APP_ROLE}', r.fn);
        END LOOP;
      END $$`);
  } finally {
    await client.end();
  }
}
