import { Body, Controller, Get, Param, Patch, Post, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { ApiUser } from '../../../../libs/db/src/index.js';
import { Authenticated, CurrentUser } from '../auth/auth.guard.js';
import { RecordIdPipe } from '../common/id.pipe.js';
import { pageOf, setPaginationHeaders } from '../common/pagination.js';
import { CreateSensorBody, ListSensorsQuery, UpdateSensorBody } from './sensors.dto.js';
import { SensorsService } from './sensors.service.js';

@ApiTags('sensors')
@ApiBearerAuth()
@Controller('v0/sensors')
export class SensorsController {
  constructor(private readonly sensors: SensorsService) {}

  @Get()
  @ApiOperation({ summary: 'The sensor catalogue, id ascending, paginated' })
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
  get(@Param('id', RecordIdPipe) id: number) {
    return this.sensors.get(id);
  }

  @Post()
  @Authenticated()
  @ApiOperation({ summary: 'Adds a sensor to the catalogue (admin)' })
  create(@Body() body: CreateSensorBody, @CurrentUser() viewer: ApiUser) {
    return this.sensors.create(body, viewer);
  }

  @Patch(':id')
  @Authenticated()
  @ApiOperation({ summary: 'Edits a sensor (admin)' })
  update(
    @Param('id', RecordIdPipe) id: number,
    @Body() body: UpdateSensorBody,
    @CurrentUser() viewer: ApiUser,
  ) {
    return this.sensors.update(id, body, viewer);
  }
}
