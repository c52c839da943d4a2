import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type ApiUser, type ComponentRecord, MeasurementsRepository } from '#db';
import { CurrentUser } from '../auth/auth.guard.js';
import { ApiError } from '../common/api-error.js';
import { RecordIdPipe } from '../common/id.pipe.js';
import { pageOf, setPaginationHeaders } from '../common/pagination.js';
import { ApiErrorResponses } from '../common/responses.js';
import { isoSeconds } from '#presenters';
import { readable } from '../devices/devices.service.js';
import { sensorKey } from '#presenters';
import { ComponentResponse, ListComponentsQuery } from './components.dto.js';

function presentComponent(c: ComponentRecord) {
  return {
    id: c.id,
    device_id: c.deviceId,
    sensor_id: c.sensorId,
    key: sensorKey(c.sensorName),
    created_at: isoSeconds(c.createdAt),
  };
}

/** Components: the sensors each device has reported (its `component_id`s), with the device's privacy. */
@ApiTags('components')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('v0/components')
export class ComponentsController {
  constructor(private readonly components: MeasurementsRepository) {}

  @Get()
  @ApiOperation({ summary: 'Components of the devices the caller may see, id ascending, paginated' })
  @ApiOkResponse({ type: [ComponentResponse] })
  async list(
    @Query() query: ListComponentsQuery,
    @CurrentUser() viewer: ApiUser | null,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const page = pageOf(query);
    const { total, components } = await this.components.listComponents(
      viewer && { id: viewer.id, isAdmin: viewer.role === 'admin' },
      { offset: page.offset, limit: page.perPage },
      query['q[device_id_eq]'],
    );
    setPaginationHeaders(request, response, page, total);
    return components.map(presentComponent);
  }

  @Get(':id')
  @ApiOperation({ summary: "One component (of a private device: its owner's and admins' only)" })
  @ApiOkResponse({ type: ComponentResponse })
  async get(@Param('id', RecordIdPipe) id: number, @CurrentUser() viewer: ApiUser | null) {
    const component = await this.components.findComponent(id);
    if (!component) throw ApiError.notFound(`Component ${id} not found`);
    readable(component.deviceId, component, viewer);
    return presentComponent(component);
  }
}
