import { Body, Controller, Get, Headers, HttpCode, Patch, Post, Query, Req, Res } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiCreatedResponse,
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { type ApiUser, AccountsRepository } from '#db';
import { Authenticated, CurrentUser } from '../auth/auth.guard.js';
import { ApiError } from '../common/api-error.js';
import { ApiErrorResponses } from '../common/responses.js';
import { DeviceResponse } from '../devices/device-response.dto.js';
import {
  CreateOrphanBody,
  CreatedOrphanResponse,
  OnboardingUserBody,
  OrphanResponse,
  UpdateOrphanBody,
} from './onboarding.dto.js';
import { OnboardingEventsService } from './onboarding-events.service.js';
import { onboardingSessionOf } from './onboarding-session.js';
import { OnboardingService } from './onboarding.service.js';

const SESSION_HEADER = { name: 'OnboardingSession', description: 'From POST /v0/onboarding/device.' };

/** The calls of the Smart Citizen setup app (see docs/onboarding.md). */
@ApiTags('onboarding')
@ApiErrorResponses()
@Controller('v0/onboarding')
export class OnboardingController {
  constructor(
    private readonly onboarding: OnboardingService,
    private readonly events: OnboardingEventsService,
    private readonly accounts: AccountsRepository,
  ) {}

  @Post('device')
  @ApiOperation({ summary: 'Starts the setup of a kit: a session and the token the kit will publish with' })
  @ApiCreatedResponse({ type: CreatedOrphanResponse })
  create(@Body() body: CreateOrphanBody) {
    return this.onboarding.create(body);
  }

  @Get('device')
  @ApiHeader(SESSION_HEADER)
  @ApiOperation({ summary: 'The kit in setup; device_handshake is true once the kit was heard' })
  @ApiOkResponse({ type: OrphanResponse })
  get(@Headers('onboardingsession') session: unknown) {
    return this.onboarding.get(onboardingSessionOf(session));
  }

  @Patch('device')
  @ApiHeader(SESSION_HEADER)
  @ApiOperation({ summary: 'Changes the kit in setup' })
  @ApiOkResponse({ type: OrphanResponse })
  update(@Headers('onboardingsession') session: unknown, @Body() body: UpdateOrphanBody) {
    return this.onboarding.update(onboardingSessionOf(session), body);
  }

  @Get('device/events')
  @ApiHeader({ ...SESSION_HEADER, required: false })
  @ApiOperation({
    summary: 'Server-sent events: token-received once the kit was heard (at once if it already was)',
  })
  async events$(
    @Headers('onboardingsession') header: unknown,
    @Query('onboarding_session') query: unknown,
    @Req() request: Request,
    @Res() response: Response,
  ): Promise<void> {
    await this.events.stream(onboardingSessionOf(header, query), () => {
      response.writeHead(200, {
        'content-type': 'text/event-stream',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
      });
      response.write(': connected\n\n');
      return {
        send: (event, data) => response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
        onClose: (callback) => request.on('close', callback),
      };
    });
  }

  @Post('user')
  @HttpCode(200)
  @ApiOperation({ summary: 'The username of an email, or 404 {"message":"not_found"} for a new user' })
  async user(@Body() body: OnboardingUserBody) {
    const username = await this.accounts.findUsernameByEmail(body.email);
    if (username === null) throw ApiError.notFound('not_found');
    return { username };
  }

  @Post('register')
  @HttpCode(200)
  @Authenticated()
  @ApiBearerAuth()
  @ApiHeader(SESSION_HEADER)
  @ApiOperation({ summary: "Registers the kit in setup as the caller's device and replays what it sent" })
  @ApiOkResponse({ type: DeviceResponse })
  register(@Headers('onboardingsession') session: unknown, @CurrentUser() viewer: ApiUser) {
    return this.onboarding.register(onboardingSessionOf(session), viewer);
  }
}
