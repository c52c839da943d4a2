import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { MeasurementsRepository } from '#db';
import { ApiError } from '../common/api-error.js';
import { RecordIdPipe } from '../common/id.pipe.js';
import { pageOf, setPaginationHeaders } from '../common/pagination.js';
import { ApiErrorResponses } from '../common/responses.js';
import { presentMeasurementRecord } from './measurement.presenter.js';
import { ListMeasurementsQuery, MeasurementResponse } from './measurements.dto.js';

/** Read-only lookups: no rules beyond "not found", so the controller calls the repository itself. */
@ApiTags('measurements')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('v0/measurements')
export class MeasurementsController {
  constructor(private readonly measurements: MeasurementsRepository) {}

  @Get()
  @ApiOperation({ summary: 'What sensors measure, id ascending, paginated' })
  @ApiOkResponse({ type: [MeasurementResponse] })
  async list(
    @Query() query: ListMeasurementsQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const page = pageOf(query);
    const { total, measurements } = await this.measurements.listMeasurements({
      offset: page.offset,
      limit: page.perPage,
    });
    setPaginationHeaders(request, response, page, total);
    return measurements.map(presentMeasurementRecord);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One measurement' })
  @ApiOkResponse({ type: MeasurementResponse })
  async get(@Param('id', RecordIdPipe) id: number) {
    const measurement = await this.measurements.findMeasurement(id);
    if (!measurement) throw ApiError.notFound(`Measurement ${id} not found`);
    return presentMeasurementRecord(measurement);
  }
}
