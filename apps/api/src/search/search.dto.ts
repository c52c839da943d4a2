import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { paginationShape } from '../common/params.js';

export const searchQuery = z.object({
  ...paginationShape,
  q: z
    .string()
    .trim()
    .min(1)
    .max(200)
    .describe('Text to find in device names and cities, usernames and tags.'),
});
export class SearchQuery extends createZodDto(searchQuery) {}

const place = {
  city: z.string().nullable(),
  country_code: z.string().nullable(),
  country: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
};

export const searchResultResponse = z.discriminatedUnion('type', [
  z.strictObject({
    id: z.number().int(),
    type: z.literal('Device'),
    name: z.string(),
    description: z.string().nullable(),
    owner_id: z.number().int().nullable(),
    owner_username: z.string().nullable(),
    ...place,
  }),
  z.strictObject({
    id: z.number().int(),
    type: z.literal('User'),
    username: z.string(),
    profile_picture: z.string(),
    ...place,
  }),
  z.strictObject({
    id: z.null(),
    type: z.literal('Tag'),
    name: z.string(),
    devices: z.number().int().describe('Devices the caller may see that carry the tag.'),
    ...place,
  }),
]);
/** The union above, flattened for the OpenAPI document (which members each type has: see `type`). */
export class SearchResultResponse extends createZodDto(
  z.object({
    id: z.number().int().nullable().describe('null for tags.'),
    type: z.enum(['Device', 'User', 'Tag']),
    name: z.string().optional().describe('Devices and tags.'),
    description: z.string().nullable().optional().describe('Devices.'),
    owner_id: z.number().int().nullable().optional().describe('Devices.'),
    owner_username: z.string().nullable().optional().describe('Devices.'),
    username: z.string().optional().describe('Users.'),
    profile_picture: z.string().optional().describe('Users.'),
    devices: z.number().int().optional().describe('Tags: devices the caller may see that carry it.'),
    ...place,
  }),
) {}
