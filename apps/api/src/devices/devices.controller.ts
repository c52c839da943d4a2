import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  Param,
  Patch,
  Post,
  Put,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { ApiUser } from '#db';
import { Authenticated, CurrentUser } from '../auth/auth.guard.js';
import { RecordIdPipe } from '../common/id.pipe.js';
import { pageOf, setPaginationHeaders } from '../common/pagination.js';
import { ApiErrorResponses } from '../common/responses.js';
import {
  ArchivedResponse,
  CreateDeviceBody,
  DeviceResponse,
  ListDevicesQuery,
  UpdateDeviceBody,
} from './devices.dto.js';
import { DevicesService } from './devices.service.js';

@ApiTags('devices')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('v0/devices')
export class DevicesController {
  constructor(private readonly devices: DevicesService) {}

  @Get()
  @ApiOperation({ summary: 'Devices visible to the caller, filtered and paginated' })
  @ApiOkResponse({ type: [DeviceResponse] })
  async list(
    @Query() query: ListDevicesQuery,
    @CurrentUser() viewer: ApiUser | null,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const page = pageOf(query);
    const { total, devices } = await this.devices.list(query, page, viewer);
    setPaginationHeaders(request, response, page, total);
    return devices;
  }

  @Get(':id')
  @ApiOperation({ summary: 'One device (private ones only to their owner and admins)' })
  @ApiOkResponse({ type: DeviceResponse })
  get(@Param('id', RecordIdPipe) id: number, @CurrentUser() viewer: ApiUser | null) {
    return this.devices.get(id, viewer);
  }

  @Post()
  @Authenticated()
  @ApiOperation({ summary: 'Registers a device owned by the caller; generates its token unless given' })
  @ApiCreatedResponse({ type: DeviceResponse })
  create(@Body() body: CreateDeviceBody, @CurrentUser() viewer: ApiUser) {
    return this.devices.create(body, viewer);
  }

  @Patch(':id')
  @Authenticated()
  @ApiOperation({ summary: 'Updates a device (owner or admin); {"archived": false} brings it back' })
  @ApiOkResponse({ type: DeviceResponse })
  update(
    @Param('id', RecordIdPipe) id: number,
    @Body() body: UpdateDeviceBody,
    @CurrentUser() viewer: ApiUser,
  ) {
    return this.devices.update(id, body, viewer);
  }

  @Put(':id')
  @Authenticated()
  @ApiOperation({ summary: 'Same as PATCH: only the fields given change' })
  @ApiOkResponse({ type: DeviceResponse })
  replace(
    @Param('id', RecordIdPipe) id: number,
    @Body() body: UpdateDeviceBody,
    @CurrentUser() viewer: ApiUser,
  ) {
    return this.devices.update(id, body, viewer);
  }

  @Delete(':id')
  @HttpCode(200)
  @Authenticated()
  @ApiOperation({ summary: 'Archives a device (owner or admin)' })
  @ApiOkResponse({ type: ArchivedResponse })
  async archive(@Param('id', RecordIdPipe) id: number, @CurrentUser() viewer: ApiUser) {
    await this.devices.archive(id, viewer);
    return { message: 'OK' };
  }
}
