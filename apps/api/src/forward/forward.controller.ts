import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/responses.js';
import { ForwardQuery, ForwardResponse } from './forward.dto.js';
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
}
