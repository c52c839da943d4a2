import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { ApiUser } from '#db';
import { CurrentUser } from '../auth/auth.guard.js';
import { RecordIdPipe } from '../common/id.pipe.js';
import { pageOf, setPaginationHeaders } from '../common/pagination.js';
import { ApiErrorResponses } from '../common/responses.js';
import { IngestErrorResponse, IngestErrorsQuery, ReadingsQuery, ReadingsResponse } from './readings.dto.js';
import { ReadingsService } from './readings.service.js';

@ApiTags('readings')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('v0/devices/:id')
export class ReadingsController {
  constructor(private readonly readings: ReadingsService) {}

  @Get('readings')
  @ApiOperation({ summary: "A sensor's readings of a device, rolled up into buckets, newest first" })
  @ApiOkResponse({ type: ReadingsResponse })
  get(
    @Param('id', RecordIdPipe) id: number,
    @Query() query: ReadingsQuery,
    @CurrentUser() viewer: ApiUser | null,
  ) {
    return this.readings.readings(id, query, viewer);
  }

  @Get('ingest_errors')
  @ApiOperation({ summary: "The device's rejected messages and readings with reason codes (owner or admin)" })
  @ApiOkResponse({ type: [IngestErrorResponse] })
  async ingestErrors(
    @Param('id', RecordIdPipe) id: number,
    @Query() query: IngestErrorsQuery,
    @CurrentUser() viewer: ApiUser | null,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const page = pageOf(query);
    const { total, errors } = await this.readings.ingestErrors(id, page, viewer);
    setPaginationHeaders(request, response, page, total);
    return errors;
  }
}
