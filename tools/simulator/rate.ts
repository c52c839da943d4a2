/** Rates and pacing of simulated traffic, and the flags that set them; pure, so unit-tested. */

/** Events per second over a span in milliseconds; 0 for an empty or instantaneous span. */
export function perSecond(count: number, spanMs: number): number {
  if (spanMs <= 0 || count <= 0) return 0;
  return (count * 1000) / spanMs;
}

/**
 * How many of `total` events are due at `elapsedMs` into a run paced at `ratePerSecond`, for a
 * publisher that catches up after a stall rather than drifting.
 */
export function dueByNow(ratePerSecond: number, elapsedMs: number, total = Infinity): number {
  if (ratePerSecond <= 0 || elapsedMs <= 0) return 0;
  return Math.min(total, Math.floor((ratePerSecond * elapsedMs) / 1000));
}

/** `60s`, `2m`, `1500ms`, `90` (seconds) → milliseconds. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`"${text}" is not a duration (e.g. 60s, 2m, 500ms)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(m[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Math.round(Number(m[1]) * unit);
}

/** `raw:90,json:10` → normalised weights { raw: 0.9, json: 0.1 }. */
export function parseMix(text: string): { raw: number; json: number } {
  const weights = { raw: 0, json: 0 };
  for (const part of text.split(',')) {
    const m = /^\s*(raw|json)\s*:\s*(\d+(?:\.\d+)?)\s*$/.exec(part);
    if (!m) throw new Error(`"${part}" in --mix is not kind:weight with kind raw or json`);
    weights[m[1] as 'raw' | 'json'] += Number(m[2]);
  }
  const total = weights.raw + weights.json;
  if (total <= 0) throw new Error('--mix needs a positive weight');
  return { raw: weights.raw / total, json: weights.json / total };
}
