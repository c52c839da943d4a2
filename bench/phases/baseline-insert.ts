import type pg from 'pg';

/** One batch as columns: device ids, sensor ids, ISO instants, values. */
export type BaselineColumns = [number[], number[], string[], number[]];

/**
 * The baseline's single statement per batch, used by the baseline consumer and by the write
 * ceiling, so both time exactly the same SQL. Retried should two batches still deadlock (rows
 * within a batch are sorted, so they should not). Returns the rows inserted.
 */
export async function insertBaselineBatch(
  pool: pg.Pool,
  columns: BaselineColumns,
  onDeadlock: () => void = () => undefined,
): Promise<number> {
  for (;;) {
    try {
      const result = await pool.query(
        `INSERT INTO readings (device_id, sensor_id, recorded_at, value)
         SELECT * FROM unnest($1::int[], $2::int[], $3::timestamptz[], $4::float8[])
         ON CONFLICT DO NOTHING`,
        columns,
      );
      return result.rowCount ?? 0;
    } catch (error) {
      if ((error as { code?: string }).code !== '40P01') throw error;
      onDeadlock();
    }
  }
}
