const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'none' });

/** The English name of an ISO 3166-1 alpha-2 code ("ES" → "Spain"); null when unknown. */
export function countryName(code: string | null): string | null {
  if (code === null || !/^[A-Za-z]{2}$/.test(code)) return null;
  try {
    return names.of(code.toUpperCase()) ?? null;
  } catch {
    return null;
  }
}
