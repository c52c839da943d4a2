import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { integerParam } from '../common/params.js';

export const streamQuery = z
  .object({
    sensor_id: integerParam('Only readings of this sensor (GET /v0/sensors), a positive integer.').optional(),
  })
  .strict();

export class StreamQuery extends createZodDto(streamQuery) {}
