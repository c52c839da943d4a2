import { Body, Controller, Get, HttpCode, Put, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiUser } from '../../../../libs/db/src/index.js';
import { Authenticated, CurrentUser } from '../auth/auth.guard.js';
import { ApiErrorResponses } from '../common/responses.js';
import { ForwardingUsernameBody, ForwardQuery, ForwardResponse } from './forward.dto.js';
import { ForwardService } from './forward.service.js';

@ApiTags('live')
@ApiErrorResponses()
@Controller('v0')
export class ForwardController {
  constructor(private readonly forward: ForwardService) {}

  @Get('forward')
  @ApiOperation({ summary: 'Broker authorization hook for forward topics: {"result":"allow"|"deny"}' })
  @ApiOkResponse({ type: ForwardResponse })
  async authorize(@Query() query: ForwardQuery) {
    return { result: await this.forward.authorize(query.topic, query.username) };
  }

  @Get('me/forwarding')
  @Authenticated()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Your forwarding token, forwarding username and forward topic pattern' })
  forwarding(@CurrentUser() viewer: ApiUser) {
    return this.forward.forwardingOf(viewer);
  }

  @Put('me/forwarding')
  @HttpCode(200)
  @Authenticated()
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Sets the broker user who may read your forward topics (researchers, admins)' })
  setUsername(@Body() body: ForwardingUsernameBody, @CurrentUser() viewer: ApiUser) {
    return this.forward.setForwardingUsername(viewer, body.forwarding_username);
  }
}
