import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { paginationShape } from '../common/params.js';
import { isoTime } from '../common/responses.js';

export { measurementResponse } from '../devices/device-response.dto.js';
import { measurementResponse } from '../devices/device-response.dto.js';

export const listMeasurementsQuery = z.object({ ...paginationShape });
export class ListMeasurementsQuery extends createZodDto(listMeasurementsQuery) {}

export const measurementRecordResponse = measurementResponse.extend({
  created_at: isoTime,
  updated_at: isoTime,
});
export class MeasurementResponse extends createZodDto(measurementRecordResponse) {}
