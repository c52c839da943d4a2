import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { idListParam, paginationShape } from '../common/params.js';
import { isoTime } from '../common/responses.js';
import { measurementResponse } from '../measurements/measurements.dto.js';

export const listSensorsQuery = z.object({
  ...paginationShape,
  'q[name_cont]': z.string().describe('Sensors whose name contains this text (case-insensitive).').optional(),
  'q[id_in][]': idListParam(
    'Sensor ids: repeat the key or give a comma list of positive integers.',
  ).optional(),
});
export class ListSensorsQuery extends createZodDto(listSensorsQuery) {}

const parentId = z
  .number()
  .int()
  .positive()
  .max(2_147_483_647)
  .nullable()
  .describe('Id of the parent sensor (a positive integer up to 2147483647), or null.')
  .optional();

export const createSensorBody = z.object({
  name: z.string().trim().min(1).max(255).describe('The sensor name, 1 to 255 characters.'),
  description: z.string().max(10_000).describe('Free text.').optional(),
  unit: z.string().max(50).describe('Unit of its values, e.g. "ºC".').optional(),
  parent_id: parentId,
  measurement_id: z
    .number()
    .int()
    .positive()
    .nullable()
    .describe('Id of what it measures (GET /v0/measurements), or null.')
    .optional(),
  datasheet: z.string().max(2048).nullable().describe('URL of its datasheet, or null.').optional(),
  unit_definition: z.string().max(1000).nullable().describe('What its unit means, or null.').optional(),
  tags: z.array(z.string().trim().min(1).max(100)).max(50).describe('Tags, e.g. ["raw"].').optional(),
});
export class CreateSensorBody extends createZodDto(createSensorBody) {}

export const updateSensorBody = createSensorBody.partial();
export class UpdateSensorBody extends createZodDto(updateSensorBody) {}

export const sensorResponse = z.strictObject({
  id: z.number().int(),
  uuid: z.string(),
  parent_id: z.number().int().nullable(),
  name: z.string(),
  description: z.string(),
  unit: z.string(),
  created_at: isoTime,
  updated_at: isoTime,
  ancestry: z.string().nullable().describe('Id of the parent sensor, as text; null for a top-level one.'),
  default_key: z.string().describe('The sensor_key of the readings endpoint.'),
  datasheet: z.string().nullable(),
  unit_definition: z.string().nullable(),
  measurement: measurementResponse.nullable(),
  tags: z.array(z.string()),
});
export class SensorResponse extends createZodDto(sensorResponse) {}
