import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';

/**
 * A client without a username: EMQX renders the missing ${username} as an empty string (or, in
 * some versions, "undefined"); either means anonymous, which grants no more than no username.
 */
const username = z
  .string()
  .max(65_535)
  .optional()
  .transform((v) => (v === '' || v === 'undefined' ? undefined : v));

/** What EMQX's HTTP authenticator sends (docker-compose.yml: ${clientid}, ${username}, ${password}). */
export const brokerAuthBody = z.object({
  clientid: z.string().max(65_535),
  username,
  password: z.string().max(65_535).optional(),
});
export class BrokerAuthBody extends createZodDto(brokerAuthBody) {}

/** What EMQX's HTTP authorizer sends (${clientid}, ${username}, ${action}, ${topic}). */
export const brokerAclBody = z.object({
  clientid: z.string().max(65_535),
  username,
  action: z.enum(['publish', 'subscribe']),
  topic: z.string().min(1).max(65_535),
});
export class BrokerAclBody extends createZodDto(brokerAclBody) {}

/** EMQX reads `result`; anything but allow / deny (or another status) counts as "ignore". */
export interface BrokerVerdictResponse {
  result: 'allow' | 'deny';
  is_superuser?: false;
}
