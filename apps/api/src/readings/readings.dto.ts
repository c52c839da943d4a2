import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { ROLLUP_FUNCTIONS, type RollupUnit } from '../../../../libs/db/src/index.js';
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
};

export const ROLLUP_FORMS =
  'an integer followed by a unit: y (years), M (months), w (weeks), d (days), h (hours), m (minutes) or s (seconds), e.g. 10m, 1h, 4w';

export const rollupParam = z
  .string()
  .transform((text, ctx) => {
    const match = /^(\d{1,10})([yMwdhms])$/.exec(text.trim());
    const count = match ? Number(match[1]) : 0;
    const unit = match?.[2] as RollupUnit | undefined;
    if (!unit || count < 1 || count > MAX_COUNT[unit]) {
      ctx.addIssue({ code: 'custom', message: `must be ${ROLLUP_FORMS} (count from 1)` });
      return z.NEVER;
    }
    return { count, unit, text: `${count}${unit}` };
  })
  .describe(`Bucket size: ${ROLLUP_FORMS}.`);

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
    from: instantParam('Start (inclusive); default to − 6 weeks.').optional(),
    to: instantParam('End (exclusive); default now.').optional(),
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
  readings: z.array(z.tuple([isoTime, z.number()])).describe('[bucket start, value] pairs, newest first.'),
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
