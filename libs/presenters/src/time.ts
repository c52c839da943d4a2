const two = (n: number) => (n < 10 ? `0${n}` : `${n}`);

/** Times in the API: ISO 8601 UTC to the second (`2023-06-12T02:57:08Z`). */
export function isoSeconds(at: Date): string;
export function isoSeconds(at: Date | null): string | null;
export function isoSeconds(at: Date | null): string | null {
  if (at === null) return null;
  const year = at.getUTCFullYear();
  // Built from the UTC fields: a rollup prints hundreds of these per response, and this took
  // 0.14–0.18 ms for 720 against 0.36–0.48 ms through toISOString and a regex replace. Years
  // outside 1000–9999 (padded or signed in ISO 8601) take the slow path.
  if (year < 1000 || year > 9999 || Number.isNaN(year)) return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `${year}-${two(at.getUTCMonth() + 1)}-${two(at.getUTCDate())}T${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())}Z`;
}

/** Times of sub-second rollup buckets: to the millisecond (`2023-06-12T02:57:08.250Z`). */
export function isoMillis(at: Date): string {
  return at.toISOString();
}
