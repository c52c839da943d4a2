import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** In the cluster's data directory, mode 0600: the passwords `npm start` generated for it. */
export const EMBEDDED_CREDENTIALS_FILE = 'sck-credentials.json';
/** The role the apps use: owns the app database, no superuser rights. */
export const EMBEDDED_APP_ROLE = 'sck_app';
export const EMBEDDED_DATABASE = 'sck_ingest';

export interface EmbeddedCredentials {
  /** Of the `postgres` superuser, used only to set the cluster up. */
  superuser: string;
  /** Of EMBEDDED_APP_ROLE. */
  app: string;
}

/** The cluster directory under EMBEDDED_DATA_DIR. */
export function embeddedPostgresDir(dataDir: string): string {
  return resolve(dataDir, 'postgres');
}

/** The passwords of an initialised cluster; null before the first start or when unreadable. */
export function readEmbeddedCredentials(clusterDir: string): EmbeddedCredentials | null {
  try {
    const parsed = JSON.parse(readFileSync(join(clusterDir, EMBEDDED_CREDENTIALS_FILE), 'utf8')) as unknown;
    const { superuser, app } = parsed as Partial<EmbeddedCredentials>;
    return typeof superuser === 'string' && typeof app === 'string' ? { superuser, app } : null;
  } catch {
    return null;
  }
}

/** The app database of the embedded PostgreSQL, as the app role (password auth on 127.0.0.1). */
export function embeddedDatabaseUrl(port: number, password?: string): string {
  const auth =
    password === undefined ? EMBEDDED_APP_ROLE : `${EMBEDDED_APP_ROLE}:${encodeURIComponent(password)}`;
  return `postgresql://${auth}@127.0.0.1:${port}/${EMBEDDED_DATABASE}`;
}
