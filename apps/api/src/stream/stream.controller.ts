import { Controller, Get, Param, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { ApiUser } from '#db';
import { CurrentUser } from '../auth/auth.guard.js';
import { RecordIdPipe } from '../common/id.pipe.js';
import { ApiErrorResponses } from '../common/responses.js';
import { StreamQuery } from './stream.dto.js';
import { StreamService } from './stream.service.js';

@ApiTags('live')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('v0')
export class StreamController {
  constructor(private readonly streams: StreamService) {}

  @Get('devices/readings/stream')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: "Server-sent events: every public device's stored readings, resumable with Last-Event-ID",
  })
  publicStream(@Query() query: StreamQuery, @Req() request: Request, @Res() response: Response) {
    return this.streams.publicStream(query.sensor_id, request, response);
  }

  @Get('devices/:id/readings/stream')
  @ApiProduces('text/event-stream')
  @ApiOperation({
    summary: "Server-sent events: one device's stored readings (private: owner or admin), resumable",
  })
  deviceStream(
    @Param('id', RecordIdPipe) id: number,
    @CurrentUser() viewer: ApiUser | null,
    @Req() request: Request,
    @Res() response: Response,
  ) {
    return this.streams.deviceStream(id, viewer, request, response);
  }
}
