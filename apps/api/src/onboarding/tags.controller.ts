import { Controller, Get, Query, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { OnboardingRepository } from '#db';
import { pageOf, setPaginationHeaders } from '../common/pagination.js';
import { ApiErrorResponses } from '../common/responses.js';
import { ListTagsQuery, TagResponse } from './onboarding.dto.js';

@ApiTags('tags')
@ApiErrorResponses()
@Controller('v0/tags')
export class TagsController {
  constructor(private readonly tags: OnboardingRepository) {}

  @Get()
  @ApiOperation({ summary: 'The tags owners may put on their devices, id ascending, paginated' })
  @ApiOkResponse({ type: [TagResponse] })
  async list(
    @Query() query: ListTagsQuery,
    @Req() request: Request,
    @Res({ passthrough: true }) response: Response,
  ) {
    const page = pageOf(query);
    const { tags, total } = await this.tags.listTags(page.offset, page.perPage);
    setPaginationHeaders(request, response, page, total);
    return tags;
  }
}
