import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { ROLLUP_FUNCTIONS, type RollupUnit } from '#db';
import { instantParam, integerParam, paginationShape } from '../common/params.js';
import { isoTime } from '../common/responses.js';

/** Largest count per unit: keeps every bucket start a valid date (year ≥ 1). */
const MAX_COUNT: Record<RollupUnit, number> = {
  y: 1000,
  M: 12_000,
  w: 52_000,
  d: 365_000,
  h: 8_760_000,
  m: 525_600_000,
  s: 2_000_000_000,
  ms: 2_000_000_000,
};

export const ROLLUP_FORMS =
  'an integer followed by a unit: y (years), M (months), w (weeks), d (days), h (hours), m (minutes), s (seconds) or ms (milliseconds), e.g. 10m, 1h, 4w';

/**
 * A count and a unit. `minimum` 0 (rollups) reads a count of 0 as 1: the web app asks for
 * `<range in seconds / chart width>s`, which is 0s for a chart wider than its range in seconds.
 */
function durationParam(description: string, minimum: 0 | 1) {
  return z
    .string()
    .transform((text, ctx) => {
      const match = /^(\d{1,10})(ms|[yMwdhms])$/.exec(text.trim());
      const given = match ? Number(match[1]) : -1;
      const unit = match?.[2] as RollupUnit | undefined;
      if (!unit || given < minimum || given > MAX_COUNT[unit]) {
        ctx.addIssue({ code: 'custom', message: `must be ${ROLLUP_FORMS} (count from ${minimum})` });
        return z.NEVER;
      }
      const count = Math.max(given, 1);
      return { count, unit, text: `${count}${unit}` };
    })
    .describe(description);
}

export const rollupParam = durationParam(`Bucket size: ${ROLLUP_FORMS}; a count of 0 is read as 1.`, 0);

export const readingsQuery = z
  .object({
    sensor_id: integerParam('Id of the sensor (GET /v0/sensors), a positive integer.').optional(),
    sensor_key: z
      .string()
      .min(1)
      .describe('Alternative to sensor_id: the sensor name as a lowercase slug, e.g. "air_temperature".')
      .optional(),
    rollup: rollupParam,
    function: z
      .enum(ROLLUP_FUNCTIONS)
      .describe(`Aggregate per bucket: ${ROLLUP_FUNCTIONS.join(', ')} (default avg).`)
      .optional(),
    from: instantParam('Start (inclusive); default to − relative, or to − 6 weeks.').optional(),
    to: instantParam('End (exclusive); default now.').optional(),
    relative: durationParam(
      `Without from: the span before to, ${ROLLUP_FORMS.replace('an integer', 'a positive integer')}.`,
      1,
    ).optional(),
    limit: integerParam('At most this many buckets, the newest; a positive integer.', {
      max: 1_000_000,
    }).optional(),
    all_intervals: z
      .enum(['true', 'false', '1', '0'])
      .transform((v) => v === 'true' || v === '1')
      .describe(
        'true: every interval of [from, to) is answered, [time, null] where nothing was read (rollups of 10m or more).',
      )
      .optional(),
  })
  .superRefine((query, ctx) => {
    if (query.sensor_id === undefined && query.sensor_key === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['sensor_id'],
        message: 'sensor_id (or sensor_key) is required',
        params: { missing: true },
      });
    }
  });
export class ReadingsQuery extends createZodDto(readingsQuery) {}

export const ingestErrorsQuery = z.object({ ...paginationShape });
export class IngestErrorsQuery extends createZodDto(ingestErrorsQuery) {}

export const readingsResponse = z.strictObject({
  device_id: z.number().int(),
  sensor_key: z.string().describe("A slug of the sensor's name."),
  sensor_id: z.number().int(),
  component_id: z.number().int().nullable().describe('null when the device never reported this sensor.'),
  rollup: z.string(),
  function: z.enum(ROLLUP_FUNCTIONS),
  from: isoTime,
  to: isoTime,
  sample_size: z.number().int().describe('Readings the buckets were computed from.'),
  readings: z
    .array(z.tuple([isoTime, z.number().nullable()]))
    .describe(
      '[bucket start, value] pairs, newest first; null only for empty intervals (all_intervals=true).',
    ),
});
export class ReadingsResponse extends createZodDto(readingsResponse) {}

export const ingestErrorResponse = z.strictObject({
  id: z.number().int(),
  reason: z.string().describe('Reason code, e.g. unknown_sensor, timestamp_future, raw_grammar.'),
  message: z.string(),
  topic: z.string(),
  item: z.unknown().describe('The rejected reading or item, when one was.'),
  payload_base64: z.string().nullable().describe('The whole payload, for rejected messages.'),
  created_at: isoTime,
});
export class IngestErrorResponse extends createZodDto(ingestErrorResponse) {}
