/** Rollups computed in plain TypeScript, to check the SQL ones against. */
export type Unit = 'y' | 'M' | 'w' | 'd' | 'h' | 'm' | 's';
export type Fn = 'avg' | 'min' | 'max' | 'sum' | 'count' | 'first' | 'last';
export interface Sample {
  at: number;
  value: number;
}

const SECONDS = { w: 604_800, d: 86_400, h: 3600, m: 60, s: 1 };
/** A Monday: weeks start on Mondays, every other unit is aligned to whole UTC units anyway. */
const ORIGIN = Date.UTC(2000, 0, 3);

export function bucketStart(at: number, count: number, unit: Unit): number {
  const date = new Date(at);
  if (unit === 'y') return Date.UTC(Math.floor(date.getUTCFullYear() / count) * count, 0, 1);
  if (unit === 'M') {
    const months = Math.floor((date.getUTCFullYear() * 12 + date.getUTCMonth()) / count) * count;
    return Date.UTC(Math.floor(months / 12), months % 12, 1);
  }
  const size = count * SECONDS[unit] * 1000;
  return ORIGIN + Math.floor((at - ORIGIN) / size) * size;
}

/** [bucket start as ISO to the second, aggregate] newest first, like the API. */
export function rollup(samples: Sample[], count: number, unit: Unit, fn: Fn): [string, number][] {
  const buckets = new Map<number, Sample[]>();
  for (const s of samples) {
    const start = bucketStart(s.at, count, unit);
    buckets.set(start, [...(buckets.get(start) ?? []), s]);
  }
  return [...buckets]
    .sort(([a], [b]) => b - a)
    .map(([start, group]) => {
      const values = [...group].sort((a, b) => a.at - b.at).map((s) => s.value);
      const sum = values.reduce((n, v) => n + v, 0);
      const value = {
        avg: sum / values.length,
        min: Math.min(...values),
        max: Math.max(...values),
        sum,
        count: values.length,
        first: values[0],
        last: values[values.length - 1],
      }[fn];
      return [new Date(start).toISOString().replace('.000Z', 'Z'), value];
    });
}
