import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { ApiUser } from '#db';
import { CurrentUser } from '../auth/auth.guard.js';
import { ApiErrorResponses } from '../common/responses.js';
import { WorldMapDeviceResponse } from './world-map.dto.js';
import { WORLD_MAP_TTL_MS, WorldMapService } from './world-map.service.js';

/** Registered before DevicesController, so that `world_map` is not read as a device id. */
@ApiTags('devices')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('v0/devices')
export class WorldMapController {
  constructor(private readonly worldMap: WorldMapService) {}

  @Get('world_map')
  @ApiOperation({
    summary:
      'Every public device with a location that has published, slim shape, unpaginated (cached ~1 min)',
  })
  @ApiOkResponse({ type: [WorldMapDeviceResponse] })
  async publicMap(@Req() request: Request, @Res() response: Response) {
    const body = await this.worldMap.publicMap();
    const gzipped = request.acceptsEncodings('gzip', 'identity') === 'gzip';
    response
      .status(200)
      .type('application/json')
      .setHeader('Cache-Control', `public, max-age=${WORLD_MAP_TTL_MS / 1000}`)
      .setHeader('Vary', 'Accept-Encoding');
    if (gzipped) response.setHeader('Content-Encoding', 'gzip');
    response.end(gzipped ? body.gzip : body.json);
  }

  @Get('fresh_world_map')
  @ApiOperation({ summary: "The world map uncached, with the caller's private devices (admins: all)" })
  @ApiOkResponse({ type: [WorldMapDeviceResponse] })
  async freshMap(@CurrentUser() viewer: ApiUser | null, @Res() response: Response) {
    const body = await this.worldMap.freshMap(viewer);
    response.status(200).type('application/json').setHeader('Cache-Control', 'private, no-store');
    response.end(body);
  }
}
