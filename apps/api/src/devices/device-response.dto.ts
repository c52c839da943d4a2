import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { DEVICE_STATES } from '#db';
import { isoTime } from '../common/responses.js';

const filtered = '"[FILTERED]" unless the caller owns the device or is an admin.';

export const measurementResponse = z.strictObject({
  id: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  description: z.string(),
  definition: z.string().nullable(),
});

export const postprocessingResponse = z.strictObject({
  id: z.number().int(),
  blueprint_url: z.string().nullable(),
  hardware_url: z.string().nullable(),
  forwarding_params: z.number().int().nullable(),
  meta: z.string().nullable(),
  latest_postprocessing: isoTime.nullable(),
  created_at: isoTime,
  updated_at: isoTime,
  device_id: z.number().int(),
});

export const deviceLocationResponse = z
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
  .describe('Unknown members are omitted.');

export const hardwareResponse = z.strictObject({
  name: z.string(),
  type: z.string(),
  version: z.string().nullable(),
  slug: z.string(),
  last_status_message: z.unknown().describe(`The latest hardware info the kit sent; ${filtered}`),
});

export const deviceSensorResponse = z.strictObject({
  id: z.number().int(),
  ancestry: z.string().nullable().describe('Id of the parent sensor, as text; null for a top-level one.'),
  name: z.string(),
  description: z.string(),
  unit: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
  uuid: z.string(),
  default_key: z.string().describe('The sensor_key of the readings endpoint.'),
  datasheet: z.string().nullable(),
  unit_definition: z.string().nullable(),
  measurement: measurementResponse.nullable(),
  value: z.number(),
  prev_value: z.number().nullable().describe('The reading before the latest one.'),
  last_reading_at: isoTime,
  tags: z.array(z.string()),
});

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
  notify: z.strictObject({ stopped_publishing: z.boolean(), low_battery: z.boolean() }),
  device_token: z.string().nullable().describe(filtered),
  postprocessing: postprocessingResponse.nullable(),
  location: deviceLocationResponse,
  data_policy: z.strictObject({
    is_private: z.boolean(),
    enable_forwarding: z.boolean(),
    precise_location: z.boolean(),
    forwarding_destination: z.string().nullable(),
  }),
  hardware: hardwareResponse,
  owner: z
    .strictObject({
      id: z.number().int(),
      uuid: z.string().nullable(),
      username: z.string().nullable(),
      url: z.string().nullable(),
      profile_picture: z.string().describe('URL of the avatar, or "" when none.'),
      location: z.strictObject({
        city: z.string().nullable(),
        country: z.string().nullable(),
        country_code: z.string().nullable(),
      }),
      device_ids: z.array(z.number().int()).describe("The owner's devices the caller may see."),
    })
    .nullable(),
  data: z.strictObject({
    sensors: z
      .array(deviceSensorResponse)
      .describe('Latest value of every sensor the device reported, sorted by name.'),
  }),
  experiment_ids: z.array(z.number().int()),
});
export class DeviceResponse extends createZodDto(deviceResponse) {}
