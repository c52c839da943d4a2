import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import type { ApiUser } from '#db';
import { CurrentUser } from '../auth/auth.guard.js';
import { pageOf, setPaginationHeaders } from '../common/pagination.js';
import { ApiErrorResponses } from '../common/responses.js';
import { SearchQuery, SearchResultResponse } from './search.dto.js';
import { SearchService } from './search.service.js';

@ApiTags('search')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('v0/search')
export class SearchController {
  constructor(private readonly searching: SearchService) {}

  @Get()
  @ApiOperation({ summary: 'Devices (name, city), users (username, city) and tags containing q, paginated' })
  @ApiOkResponse({ type: [SearchResultResponse] })
  async search(
    @Query() query: SearchQuery,
    @CurrentUser() viewer: ApiUser | null,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const page = pageOf(query);
    const results = await this.searching.search(query.q, viewer);
    setPaginationHeaders(request, response, page, results.length);
    return results.slice(page.offset, page.offset + page.perPage);
  }
}
