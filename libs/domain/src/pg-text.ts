/**
 * Text that PostgreSQL refuses, made well-formed before it is written. Postgres `text` and `jsonb`
 * cannot hold U+0000, and jsonb refuses a lone UTF-16 surrogate (`"\ud800"` parses fine in
 * JavaScript): one such string fails the whole statement, so every string that can come from a
 * device is passed through here first.
 */
const NUL = String.fromCharCode(0);

/** JSON nested deeper than this is not stored as jsonb (Postgres parses jsonb recursively). */
export const MAX_JSON_DEPTH = 64;

/** True when Postgres would refuse `text`. */
export function isPgUnsafeText(text: string): boolean {
  return text.includes(NUL) || !text.isWellFormed();
}

/** `text` with lone surrogates replaced by U+FFFD and NUL by `nul` (U+FFFD unless given). */
export function pgSafeText(text: string, nul = '\ufffd'): string {
  return isPgUnsafeText(text) ? text.replaceAll(NUL, nul).toWellFormed() : text;
}

export type PgSafeJson = { ok: true; value: unknown; changed: boolean } | { ok: false; reason: 'too_deep' };

/**
 * A parsed JSON value with every string and key made storable (see pgSafeText), or `too_deep`
 * when it nests deeper than MAX_JSON_DEPTH. NUL becomes `nul` (U+FFFD unless given).
 */
export function pgSafeJson(value: unknown, nul = '\ufffd'): PgSafeJson {
  const state = { changed: false, tooDeep: false, nul };
  const safe = walk(value, 0, state);
  return state.tooDeep
    ? { ok: false, reason: 'too_deep' }
    : { ok: true, value: safe, changed: state.changed };
}

function walk(
  value: unknown,
  depth: number,
  state: { changed: boolean; tooDeep: boolean; nul: string },
): unknown {
  if (typeof value === 'string') {
    if (!isPgUnsafeText(value)) return value;
    state.changed = true;
    return pgSafeText(value, state.nul);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_JSON_DEPTH) {
    state.tooDeep = true;
    return null;
  }
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (const v of value) {
      out.push(walk(v, depth + 1, state));
      if (state.tooDeep) return null;
    }
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    const safeKey = isPgUnsafeText(key) ? ((state.changed = true), pgSafeText(key, state.nul)) : key;
    out[safeKey] = walk(v, depth + 1, state);
    if (state.tooDeep) return null;
  }
  return out;
}
