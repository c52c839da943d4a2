import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { integerParam, paginationShape } from '../common/params.js';
import { isoTime } from '../common/responses.js';

export const listComponentsQuery = z.object({
  ...paginationShape,
  'q[device_id_eq]': integerParam('Components of this device only, a positive integer.').optional(),
});
export class ListComponentsQuery extends createZodDto(listComponentsQuery) {}

export const componentResponse = z.strictObject({
  id: z.number().int(),
  device_id: z.number().int(),
  sensor_id: z.number().int(),
  key: z.string().describe('The sensor_key of the readings endpoint.'),
  created_at: isoTime,
});
export class ComponentResponse extends createZodDto(componentResponse) {}
