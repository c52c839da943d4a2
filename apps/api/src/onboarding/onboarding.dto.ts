import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { paginationShape } from '../common/params.js';

const tagName = z.string().trim().min(1).max(100);

const orphanShape = {
  name: z.string().trim().max(255).nullable().optional(),
  description: z.string().max(5000).nullable().optional(),
  exposure: z.enum(['indoor', 'outdoor']).nullable().optional(),
  latitude: z.number().min(-90).max(90).nullable().optional(),
  longitude: z.number().min(-180).max(180).nullable().optional(),
  user_tags: z.string().max(2000).describe('Tag names separated by commas.').optional(),
  user_tags_array: z.array(tagName).max(50).describe('Tag names; wins over user_tags.').optional(),
};

export const createOrphanBody = z.object(orphanShape);
export class CreateOrphanBody extends createZodDto(createOrphanBody) {}

export const updateOrphanBody = z.object({
  ...orphanShape,
  device_token: z
    .string()
    .regex(/^[a-z0-9]{6}$/)
    .describe('6 lowercase letters or digits; unique among devices and kits in setup.')
    .optional(),
});
export class UpdateOrphanBody extends createZodDto(updateOrphanBody) {}

export const onboardingUserBody = z.object({ email: z.email().max(320) });
export class OnboardingUserBody extends createZodDto(onboardingUserBody) {}

export const createdOrphanResponse = z.strictObject({
  onboarding_session: z.string().describe('Send it as the OnboardingSession header from now on.'),
  device_token: z.string().describe('The token the kit publishes with.'),
});
export class CreatedOrphanResponse extends createZodDto(createdOrphanResponse) {}

export const orphanResponse = z.strictObject({
  id: z.number().int(),
  name: z.string().nullable(),
  description: z.string().nullable(),
  exposure: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
  user_tags: z.string().describe('Tag names separated by commas.'),
  device_token: z.string(),
  onboarding_session: z.string(),
  device_handshake: z.boolean().describe('True once the kit was heard with its token.'),
  created_at: z.string(),
  updated_at: z.string(),
});
export class OrphanResponse extends createZodDto(orphanResponse) {}

export const listTagsQuery = z.object(paginationShape);
export class ListTagsQuery extends createZodDto(listTagsQuery) {}

export const tagResponse = z.strictObject({ id: z.number().int(), name: z.string() });
export class TagResponse extends createZodDto(tagResponse) {}
