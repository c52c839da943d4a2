import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { DEVICE_STATES } from '../../../../libs/db/src/index.js';
import {
  booleanField,
  idListParam,
  instantParam,
  numberField,
  numberParam,
  paginationShape,
} from '../common/params.js';
import { isoTime } from '../common/responses.js';

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
  meta: z.record(z.string(), z.unknown()).nullable().describe('Any JSON object, or null.').optional(),
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

const filtered = '"[FILTERED]" unless the caller owns the device or is an admin.';

export const deviceResponse = z.strictObject({
  id: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  description: z.string().nullable(),
  state: z.enum(DEVICE_STATES),
  system_tags: z.array(z.string()).describe('indoor/outdoor, new, online/offline; sorted.'),
  user_tags: z.array(z.string()),
  last_reading_at: isoTime.nullable(),
  created_at: isoTime,
  updated_at: isoTime,
  device_token: z.string().nullable().describe(filtered),
  location: z
    .strictObject({
      exposure: z.enum(['indoor', 'outdoor']).optional(),
      elevation: z.number().optional(),
      latitude: z.number().optional(),
      longitude: z.number().optional(),
      geohash: z.string().optional(),
      city: z.string().optional(),
      country_code: z.string().optional(),
      country: z.string().optional(),
    })
    .describe('Unknown members are omitted.'),
  data_policy: z.strictObject({
    is_private: z.boolean(),
    enable_forwarding: z.boolean(),
    precise_location: z.boolean(),
  }),
  hardware: z.strictObject({
    name: z.string(),
    type: z.string(),
    version: z.string().nullable(),
    slug: z.string(),
    last_status_message: z.unknown().describe(`The latest hardware info the kit sent; ${filtered}`),
  }),
  owner: z
    .strictObject({ id: z.number().int(), uuid: z.string().nullable(), username: z.string().nullable() })
    .nullable(),
  data: z.strictObject({
    sensors: z
      .array(
        z.strictObject({
          id: z.number().int(),
          name: z.string(),
          description: z.string(),
          unit: z.string(),
          value: z.number(),
          last_reading_at: isoTime,
          component_id: z.number().int(),
        }),
      )
      .describe('Latest value of every sensor the device reported, sorted by name.'),
  }),
});
export class DeviceResponse extends createZodDto(deviceResponse) {}

export class ArchivedResponse extends createZodDto(z.strictObject({ message: z.literal('OK') })) {}
