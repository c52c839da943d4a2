import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { isoTime } from '../common/responses.js';
import { deviceResponse } from '../devices/device-response.dto.js';

const url = z.url({ protocol: /^https?$/ }).max(2048);

export const updateMeBody = z.object({
  username: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,40}$/)
    .describe('3 to 40 letters, digits, ".", "-" or "_"; unique.')
    .optional(),
  email: z.email().max(320).nullable().describe('An email address; unique.').optional(),
  url: url.nullable().describe('Your web page (http or https), or null.').optional(),
  profile_picture: url.nullable().describe('URL of your avatar (http or https), or null.').optional(),
  city: z.string().trim().max(255).nullable().describe('City name, or null.').optional(),
  country_code: z
    .string()
    .regex(/^[A-Za-z]{2}$/)
    .transform((c) => c.toUpperCase())
    .nullable()
    .describe('ISO 3166-1 alpha-2 code, e.g. "ES", or null.')
    .optional(),
  forwarding_username: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{3,64}$/)
    .describe('Researchers and admins: the broker username that may read your forward topics; unique.')
    .optional(),
});
export class UpdateMeBody extends createZodDto(updateMeBody) {}

export const userResponse = z.strictObject({
  id: z.number().int(),
  uuid: z.string(),
  role: z.string(),
  username: z.string(),
  profile_picture: z.string().describe('URL of the avatar, or "" when none.'),
  url: z.string().nullable(),
  location: z.strictObject({
    city: z.string().nullable(),
    country: z.string().nullable(),
    country_code: z.string().nullable(),
  }),
  devices: z.array(deviceResponse).describe('Their devices the caller may see.'),
  created_at: isoTime,
  updated_at: isoTime,
  email: z.string().nullable().optional().describe('Only to the user themselves and admins.'),
  forwarding_token: z.string().nullable().optional().describe('GET /v0/me of researchers and admins.'),
  forwarding_username: z.string().nullable().optional().describe('GET /v0/me of researchers and admins.'),
});
export class UserResponse extends createZodDto(userResponse) {}
