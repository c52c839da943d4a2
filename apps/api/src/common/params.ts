import { z } from 'zod';

/**
 * Building blocks of the query and body schemas. Every field carries a `.describe()` text saying
 * which forms it accepts: the OpenAPI document shows it, and ApiValidationPipe puts it in the 400
 * message, so the two cannot disagree.
 */

/** Query values arrive as strings (or arrays of strings when repeated). */
/** Positive by default, and at most the largest Postgres integer (ids are int4). */
export function integerParam(description: string, { min = 1, max = 2_147_483_647 } = {}) {
  return z
    .string()
    .trim()
    .regex(/^-?\d+$/)
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .describe(description);
}

export function numberParam(description: string, { min = -Infinity, max = Infinity } = {}) {
  return z
    .string()
    .trim()
    .regex(/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/)
    .transform(Number)
    .pipe(z.number().min(min).max(max))
    .describe(description);
}

/** `a,b` or repeated keys (`q[id_in][]=1&q[id_in][]=2`) → a list of positive integers. */
export function idListParam(description: string) {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()))
    .pipe(
      z
        .array(
          z
            .string()
            .regex(/^\d{1,9}$/)
            .transform(Number),
        )
        .min(1),
    )
    .describe(description);
}

export const PER_PAGE_DEFAULT = 25;
export const PER_PAGE_MAX = 1000;

export const paginationShape = {
  page: integerParam('Page number, a positive integer (default 1).').optional(),
  per_page: integerParam(
    `Items per page, a positive integer (default ${PER_PAGE_DEFAULT}; larger than ${PER_PAGE_MAX} is capped to ${PER_PAGE_MAX}).`,
  ).optional(),
};

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME =
  /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}(?::?\d{2})?| \d{2}(?::?\d{2})?)?$/i;

export const INSTANT_FORMS =
  'an ISO 8601 date (2020-01-28), date-time (2020-01-28T13:00:00Z, offsets allowed, UTC when none) or integer epoch seconds (1580169600)';

/**
 * An instant as ISO 8601 date, date-time or integer epoch seconds; null for anything else. A space
 * before the offset is read as "+": an unencoded "+" in a query string arrives as a space.
 */
export function parseInstant(text: string): Date | null {
  const value = text.trim();
  if (/^\d{1,12}$/.test(value)) return new Date(Number(value) * 1000);
  const date = DATE.exec(value);
  if (date) {
    const at = new Date(`${value}T00:00:00Z`);
    return Number.isNaN(at.getTime()) || at.toISOString().slice(0, 10) !== value ? null : at;
  }
  const dateTime = DATE_TIME.exec(value);
  if (!dateTime) return null;
  const [, day, time, zone = 'Z'] = dateTime;
  let offset = zone.toUpperCase() === 'Z' ? 'Z' : zone.replace(/^ /, '+');
  if (/^[+-]\d{2}$/.test(offset)) offset += ':00';
  else if (/^[+-]\d{4}$/.test(offset)) offset = `${offset.slice(0, 3)}:${offset.slice(3)}`;
  const at = new Date(`${day}T${time}${offset}`);
  if (Number.isNaN(at.getTime())) return null;
  // Date accepts 2020-02-30 and rolls it over; refuse days that do not exist.
  const [y, m, d] = day.split('-').map(Number);
  const check = new Date(Date.UTC(y, m - 1, d));
  return check.getUTCMonth() === m - 1 && check.getUTCDate() === d ? at : null;
}

export function instantParam(description: string) {
  return z
    .string()
    .transform((text, ctx) => {
      const at = parseInstant(text);
      if (at) return at;
      ctx.addIssue({ code: 'custom', message: `must be ${INSTANT_FORMS}` });
      return z.NEVER;
    })
    .describe(`${description} Accepted: ${INSTANT_FORMS}.`);
}

/** A body boolean; form posts send strings. */
export const booleanField = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')])
  .describe('true or false');

/** A body number; form posts send strings. */
export function numberField(description: string, { min = -Infinity, max = Infinity, int = false } = {}) {
  const number = int ? z.number().int().min(min).max(max) : z.number().min(min).max(max);
  return z
    .union([
      number,
      z
        .string()
        .trim()
        .regex(/^[-+]?\d*\.?\d+$/)
        .transform(Number)
        .pipe(number),
    ])
    .describe(description);
}
