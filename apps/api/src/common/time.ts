/** Times in the API: ISO 8601 UTC to the second (`2023-06-12T02:57:08Z`). */
export function isoSeconds(at: Date): string;
export function isoSeconds(at: Date | null): string | null;
export function isoSeconds(at: Date | null): string | null {
  return at === null ? null : at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
