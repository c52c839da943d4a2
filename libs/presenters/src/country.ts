const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });
/** Intl lookups cost microseconds each; a map of a few hundred codes answers the world map at once. */
const known = new Map<string, string | null>();

/** The English name of an ISO 3166-1 alpha-2 code ("ES" → "Spain"); null when unknown. */
export function countryName(code: string | null): string | null {
  if (code === null) return null;
  const cached = known.get(code);
  if (cached !== undefined) return cached;
  let name: string | null = null;
  if (/^[A-Za-z]{2}$/.test(code)) {
    try {
      name = names.of(code.toUpperCase()) ?? null;
    } catch {
      name = null;
    }
  }
  if (known.size < 1000) known.set(code, name);
  return name;
}
