import type { Rejection } from './reasons.js';

const NUL = String.fromCharCode(0);

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
 * `sanitized` says so. A `\u0000` escape is removed too: Postgres jsonb cannot hold it.
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
  const { value, changed } = withoutNul(parsed);
  return { ok: true, info: value as Record<string, unknown>, sanitized: changed || cleaned !== text };
}

export type InventoryReport =
  { valid: true; report: Record<string, unknown>; text: null } | { valid: false; report: null; text: string };

/**
 * A factory-test report, stored as received: a JSON object, or else the payload as text flagged
 * invalid. NUL characters (which Postgres text and jsonb cannot hold) become U+FFFD.
 */
export function decodeInventory(payload: Buffer): InventoryReport {
  const text = payload.toString('utf8');
  try {
    const parsed: unknown = JSON.parse(text);
    if (isPlainObject(parsed) && !withoutNul(parsed).changed)
      return { valid: true, report: parsed, text: null };
  } catch {
    // Invalid JSON is kept as text below.
  }
  return { valid: false, report: null, text: text.replaceAll(NUL, '\ufffd') };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function withoutNul(value: unknown): { value: unknown; changed: boolean } {
  let changed = false;
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'string' && v.includes(NUL)) {
      changed = true;
      return v.replaceAll(NUL, '');
    }
    if (isPlainObject(v) && Object.keys(v).some((k) => k.includes(NUL))) {
      changed = true;
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k.replaceAll(NUL, ''), x]));
    }
    return v;
  });
  return { value: JSON.parse(text) as unknown, changed };
}
