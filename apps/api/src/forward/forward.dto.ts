import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

export const forwardQuery = z.object({
  topic: z.string().max(1024).describe('The topic the broker asks about.').default(''),
  username: z.string().max(256).describe('The broker user asking.').default(''),
});
export class ForwardQuery extends createZodDto(forwardQuery) {}

export const forwardResponse = z.strictObject({ result: z.enum(['allow', 'deny']) });
export class ForwardResponse extends createZodDto(forwardResponse) {}
