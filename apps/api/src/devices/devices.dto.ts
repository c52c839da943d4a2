import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { DEVICE_STATES } from '#db';
import {
  booleanField,
  idListParam,
  instantParam,
  integerParam,
  numberField,
  numberParam,
  paginationShape,
} from '../common/params.js';
import { MAX_INPUT_DEPTH } from '../common/text-check.js';

const MAX_META_BYTES = 16_384;

const near = z
  .string()
  .transform((text, ctx) => {
    const match = /^\s*([-+]?\d+(?:\.\d+)?)\s*,\s*([-+]?\d+(?:\.\d+)?)\s*$/.exec(text);
    const [latitude, longitude] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
    if (!match || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be "<latitude>,<longitude>" in decimal degrees (e.g. 41.3968,2.1942)',
      });
      return z.NEVER;
    }
    return { latitude, longitude };
  })
  .describe('"<latitude>,<longitude>" in decimal degrees; results are ordered by distance from it.');

const tagList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => (Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()))
  .pipe(z.array(z.string().min(1)).min(1))
  .describe('User tags: repeat the key or give a comma list; devices carrying any of them.');

export const listDevicesQuery = z.object({
  ...paginationShape,
  'q[name_cont]': z.string().describe('Devices whose name contains this text (case-insensitive).').optional(),
  'q[id_in][]': idListParam(
    'Device ids: repeat the key or give a comma list of positive integers.',
  ).optional(),
  'q[state_eq]': z
    .enum(DEVICE_STATES)
    .describe(`One of ${DEVICE_STATES.join(', ')}.`)
    .optional(),
  'q[last_reading_at_gt]': instantParam('Devices whose last reading is after this instant.').optional(),
  'q[last_reading_at_lt]': instantParam('Devices whose last reading is before this instant.').optional(),
  'q[owner_username_eq]': z.string().min(1).describe("The owner's username.").optional(),
  'q[name_eq]': z.string().min(1).describe('Devices with exactly this name.').optional(),
  'q[created_at_gt]': instantParam('Devices created after this instant.').optional(),
  'q[created_at_lt]': instantParam('Devices created before this instant.').optional(),
  'q[owner_id_eq]': integerParam("The owner's id, a positive integer.").optional(),
  'q[tags_name_eq]': z.string().min(1).describe('Devices carrying this user tag.').optional(),
  'q[tags_name_in]': tagList.optional(),
  'q[tags_name_in][]': tagList.optional(),
  'q[postprocessing_id_not_null]': z
    .enum(['1', '0', 'true', 'false'])
    .transform((v) => v === '1' || v === 'true')
    .describe('1 (or true): devices with post-processing settings; 0 (or false): without.')
    .optional(),
  with_tags: z
    .string()
    .transform((s) => s.split('|').map((t) => t.trim()))
    .pipe(z.array(z.string().min(1)).min(1))
    .describe('User tags separated by "|": devices carrying any of them.')
    .optional(),
  near: near.optional(),
  within: numberParam('Radius in km around `near`, a positive number (default 1000).', {
    min: Number.MIN_VALUE,
  }).optional(),
});
export class ListDevicesQuery extends createZodDto(listDevicesQuery) {}

const userTags = z
  .union([z.string(), z.array(z.string())])
  .transform((v) => [...new Set((Array.isArray(v) ? v : v.split(',')).map((t) => t.trim()).filter(Boolean))])
  .describe('A comma list ("Barcelona,Inside") or an array of tags; replaces the current ones.');

const deviceFields = {
  description: z.string().max(10_000).nullable().describe('Free text, or null.').optional(),
  device_token: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,64}$/)
    .describe('The MQTT token: 1 to 64 letters, digits, "-" or "_" (generated when not given).')
    .optional(),
  latitude: numberField('Decimal degrees, -90 to 90.', { min: -90, max: 90 }).nullable().optional(),
  longitude: numberField('Decimal degrees, -180 to 180.', { min: -180, max: 180 }).nullable().optional(),
  elevation: numberField('Metres, an integer.', { int: true, min: -12_000, max: 12_000 })
    .nullable()
    .optional(),
  exposure: z.enum(['indoor', 'outdoor']).nullable().describe('"indoor" or "outdoor".').optional(),
  user_tags: userTags.optional(),
  is_private: booleanField.optional(),
  precise_location: booleanField.optional(),
  enable_forwarding: booleanField
    .describe("Forward each stored batch to the owner's forward topic (researchers and admins only).")
    .optional(),
  notify_stopped_publishing: booleanField
    .describe('Email the owner when the kit stops publishing: true or false.')
    .optional(),
  notify_low_battery: booleanField
    .describe('Email the owner when the battery is low: true or false.')
    .optional(),
  city: z.string().trim().max(255).nullable().describe('City name, shown in location.city.').optional(),
  country_code: z
    .string()
    .regex(/^[A-Za-z]{2}$/)
    .transform((c) => c.toUpperCase())
    .nullable()
    .describe('ISO 3166-1 alpha-2 code, e.g. "ES" (location.country is its English name).')
    .optional(),
  postprocessing_attributes: z
    .strictObject({
      blueprint_url: z
        .url({ protocol: /^https?$/ })
        .max(2048)
        .nullable()
        .optional(),
      hardware_url: z
        .url({ protocol: /^https?$/ })
        .max(2048)
        .nullable()
        .optional(),
      forwarding_params: z.number().int().nullable().optional(),
      meta: z.string().max(10_000).nullable().optional(),
      latest_postprocessing: z.iso.datetime({ offset: true }).nullable().optional(),
    })
    .nullable()
    .describe(
      "Post-processing settings (the reference's nested attributes): blueprint_url, hardware_url (http or https URLs), forwarding_params (an integer), meta (text), latest_postprocessing (ISO 8601); null removes them.",
    )
    .optional(),
  meta: z
    .record(z.string(), z.unknown())
    .refine((meta) => Buffer.byteLength(JSON.stringify(meta)) <= MAX_META_BYTES, {
      message: `at most ${MAX_META_BYTES} bytes of JSON`,
    })
    .nullable()
    .describe(`Any JSON object of at most ${MAX_META_BYTES} bytes and ${MAX_INPUT_DEPTH} levels, or null.`)
    .optional(),
};

export const createDeviceBody = z.object({
  name: z.string().trim().min(1).max(255).describe('The device name, 1 to 255 characters.'),
  ...deviceFields,
});
export class CreateDeviceBody extends createZodDto(createDeviceBody) {}

export const updateDeviceBody = z.object({
  name: z.string().trim().min(1).max(255).describe('The device name, 1 to 255 characters.').optional(),
  ...deviceFields,
  archived: booleanField.describe('false brings an archived device back (DELETE archives it).').optional(),
});
export class UpdateDeviceBody extends createZodDto(updateDeviceBody) {}

export { DeviceResponse, deviceResponse } from './device-response.dto.js';

export class ArchivedResponse extends createZodDto(z.strictObject({ message: z.literal('OK') })) {}
