import { MAX_JSON_DEPTH, pgSafeJson, pgSafeText } from './pg-text.js';
import type { Rejection } from './reasons.js';

/** Removes C0 control characters other than the whitespace JSON allows between tokens (\t \n \r). */
function stripControl(text: string): string {
  let out = '';
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code >= 0x20 || code === 0x09 || code === 0x0a || code === 0x0d) out += char;
  }
  return out;
}

export type InfoResult =
  { ok: true; info: Record<string, unknown>; sanitized: boolean } | { ok: false; rejection: Rejection };

/**
 * An info payload (PROTOCOL.md "Other kinds"): a JSON object. Old firmware sometimes puts control
 * bytes inside strings; they are removed before parsing rather than losing the info, and
 * `sanitized` says so. What Postgres jsonb cannot hold is fixed in keys and values alike: a `\u0000`
 * escape is removed, a lone surrogate such as `\ud800` becomes U+FFFD; JSON nested deeper than
 * MAX_JSON_DEPTH is rejected.
 */
export function decodeInfo(payload: Buffer): InfoResult {
  const text = payload.toString('utf8');
  const cleaned = stripControl(text);
  let parsed: unknown;
  try {
    parsed = JSON.parse(cleaned);
  } catch (error) {
    return {
      ok: false,
      rejection: { reason: 'malformed_json', message: `invalid JSON: ${(error as Error).message}` },
    };
  }
  if (!isPlainObject(parsed)) {
    return { ok: false, rejection: { reason: 'schema', message: 'info must be a JSON object' } };
  }
  const safe = pgSafeJson(parsed, '');
  if (!safe.ok) {
    return {
      ok: false,
      rejection: { reason: 'schema', message: `info nests deeper than ${MAX_JSON_DEPTH} levels` },
    };
  }
  return {
    ok: true,
    info: safe.value as Record<string, unknown>,
    sanitized: safe.changed || cleaned !== text,
  };
}

export type InventoryReport =
  { valid: true; report: Record<string, unknown>; text: null } | { valid: false; report: null; text: string };

/**
 * A factory-test report, stored as received: a JSON object, or else the payload as text flagged
 * invalid. An object jsonb would refuse (a NUL or lone surrogate in a string or key, nesting deeper
 * than MAX_JSON_DEPTH) is kept as text too, lossless; NUL characters in that text become U+FFFD.
 */
export function decodeInventory(payload: Buffer): InventoryReport {
  const text = payload.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (isPlainObject(parsed) && isStorable(parsed)) return { valid: true, report: parsed, text: null };
  } catch {
    // Invalid JSON is kept as text below.
  }
  return { valid: false, report: null, text: pgSafeText(text) };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isStorable(value: unknown): boolean {
  const safe = pgSafeJson(value);
  return safe.ok && !safe.changed;
}
