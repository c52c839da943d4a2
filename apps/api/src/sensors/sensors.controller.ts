import { Body, Controller, Get, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { ApiUser } from '#db';
import { Authenticated, CurrentUser } from '../auth/auth.guard.js';
import { RecordIdPipe } from '../common/id.pipe.js';
import { pageOf, setPaginationHeaders } from '../common/pagination.js';
import { ApiErrorResponses } from '../common/responses.js';
import { CreateSensorBody, ListSensorsQuery, SensorResponse, UpdateSensorBody } from './sensors.dto.js';
import { SensorsService } from './sensors.service.js';

@ApiTags('sensors')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('v0/sensors')
export class SensorsController {
  constructor(private readonly sensors: SensorsService) {}

  @Get()
  @ApiOperation({ summary: 'The sensor catalogue, id ascending, paginated' })
  @ApiOkResponse({ type: [SensorResponse] })
  async list(
    @Query() query: ListSensorsQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const page = pageOf(query);
    const { total, sensors } = await this.sensors.list(query, page);
    setPaginationHeaders(request, response, page, total);
    return sensors;
  }

  @Get(':id')
  @ApiOperation({ summary: 'One sensor' })
  @ApiOkResponse({ type: SensorResponse })
  get(@Param('id', RecordIdPipe) id: number) {
    return this.sensors.get(id);
  }

  @Post()
  @Authenticated()
  @ApiOperation({ summary: 'Adds a sensor to the catalogue (admin)' })
  @ApiCreatedResponse({ type: SensorResponse })
  create(@Body() body: CreateSensorBody, @CurrentUser() viewer: ApiUser) {
    return this.sensors.create(body, viewer);
  }

  @Patch(':id')
  @Authenticated()
  @ApiOperation({ summary: 'Edits a sensor (admin)' })
  @ApiOkResponse({ type: SensorResponse })
  update(
    @Param('id', RecordIdPipe) id: number,
    @Body() body: UpdateSensorBody,
    @CurrentUser() viewer: ApiUser,
  ) {
    return this.sensors.update(id, body, viewer);
  }
}
