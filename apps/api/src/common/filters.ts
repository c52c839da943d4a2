import { z } from 'zod';
import { ApiError } from './api-error.js';

/**
 * Ransack-style `q[…]` filters a list does not know are refused, never ignored: a script asking
 * `q[device_token_eq]=…` must not get every device back as if it matched.
 */
export function refuseUnknownFilters(input: unknown, schema: z.ZodType): void {
  if (input === null || typeof input !== 'object' || !(schema instanceof z.ZodObject)) return;
  const known = Object.keys(schema.shape);
  const unknown = Object.keys(input).filter((key) => key.startsWith('q[') && !known.includes(key));
  if (unknown.length === 0) return;
  const supported = known.filter((key) => key.startsWith('q['));
  throw ApiError.badRequest(
    `Unsupported filter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; this list supports ${
      supported.length > 0 ? supported.join(', ') : 'no q[…] filters'
    }`,
    { unsupported: unknown, supported },
  );
}
