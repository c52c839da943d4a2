import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
// Resolved from the project root, so it works both from src/ and from dist/.
const projectRoot = root.endsWith('dist') ? join(root, '..') : root;
export const MIGRATIONS_DIR = join(projectRoot, 'prisma', 'migrations');
export const SENSOR_CATALOGUE = join(projectRoot, 'prisma', 'data', 'sck-sensors.json');
export const MEASUREMENT_CATALOGUE = join(projectRoot, 'prisma', 'data', 'sck-measurements.json');

export interface CatalogueSensor {
  id: number;
  name: string;
  unit: string;
  description: string;
}

export interface CatalogueMeasurement {
  id: number;
  name: string;
  description: string;
  sensor_ids: number[];
}

export type Log = (line: string) => void;

/** Creates the database named in `url` if it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.slice(1));
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) await client.query(`CREATE DATABASE "${name.replace(/"/g, '""')}"`);
  } catch (error) {
    // Two processes starting together may both try; the loser finds it there.
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await client.end();
  }
}

/** Applies pending SQL migrations (node-pg-migrate holds an advisory lock while it does). */
export async function migrate(url: string, log: Log = () => undefined): Promise<string[]> {
  const applied = await runner({
    databaseUrl: url,
    dir: MIGRATIONS_DIR,
    migrationsTable: 'schema_migrations',
    direction: 'up',
    count: Infinity,
    checkOrder: true,
    log: () => undefined,
  });
  for (const m of applied) log(`migration applied: ${m.name}`);
  return applied.map((m) => m.name);
}

/**
 * Upserts the sensor and measurement catalogues shipped in prisma/data; running it twice changes
 * nothing. Rows an admin has edited through the API (`edited_at` set) keep the admin's values.
 */
export async function seedSensors(
  url: string,
  file = SENSOR_CATALOGUE,
  measurementsFile = MEASUREMENT_CATALOGUE,
): Promise<number> {
  const sensors = JSON.parse(readFileSync(file, 'utf8')) as CatalogueSensor[];
  const measurements = JSON.parse(readFileSync(measurementsFile, 'utf8')) as CatalogueMeasurement[];
  const measurementOf = new Map(measurements.flatMap((m) => m.sensor_ids.map((id) => [id, m.id] as const)));
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO measurements (id, name, description)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[])
       ON CONFLICT (id) DO UPDATE
         SET name = EXCLUDED.name, description = EXCLUDED.description, updated_at = now()
         WHERE (measurements.name, measurements.description)
               IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.description)`,
      [
        measurements.map((m) => m.id),
        measurements.map((m) => m.name),
        measurements.map((m) => m.description),
      ],
    );
    await client.query(
      `SELECT setval(pg_get_serial_sequence('measurements', 'id'), GREATEST((SELECT max(id) FROM measurements), 1))`,
    );
    await client.query(
      `INSERT INTO sensors (id, name, unit, description, measurement_id)
       SELECT * FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::int[])
       ON CONFLICT (id) DO UPDATE
         SET name = EXCLUDED.name, unit = EXCLUDED.unit, description = EXCLUDED.description,
             measurement_id = EXCLUDED.measurement_id, updated_at = now()
         WHERE sensors.edited_at IS NULL
           AND (sensors.name, sensors.unit, sensors.description, sensors.measurement_id)
               IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.unit, EXCLUDED.description, EXCLUDED.measurement_id)`,
      [
        sensors.map((s) => s.id),
        sensors.map((s) => s.name),
        sensors.map((s) => s.unit),
        sensors.map((s) => s.description),
        sensors.map((s) => measurementOf.get(s.id) ?? null),
      ],
    );
    // Sensors created later through the API must not collide with catalogue ids.
    await client.query(
      `SELECT setval(pg_get_serial_sequence('sensors', 'id'), GREATEST((SELECT max(id) FROM sensors), 1))`,
    );
    // Partitions for this month and the next two; the rest land in the default partition.
    await client.query(
      `SELECT ensure_readings_partition(now() + make_interval(months => m)) FROM generate_series(0, 2) AS m`,
    );
  } finally {
    await client.end();
  }
  return sensors.length;
}

/** Everything `npm start` and the test template need: database, migrations, catalogue. */
export async function deployDatabase(url: string, log: Log = () => undefined): Promise<void> {
  await ensureDatabase(url);
  await migrate(url, log);
  const count = await seedSensors(url);
  log(`sensor catalogue: ${count} sensors`);
}
