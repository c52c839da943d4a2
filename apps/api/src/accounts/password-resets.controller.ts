import { Body, Controller, Get, HttpCode, Param, Patch, Post, Put } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/responses.js';
import { UserResponse } from '../users/users.dto.js';
import { NewPasswordBody, PasswordResetRequestBody, PasswordResetRequested } from './accounts.dto.js';
import { PasswordResetsService } from './password-resets.service.js';

/** Password reset by email, in the reference's three steps (docs/onboarding.md). */
@ApiTags('users')
@ApiErrorResponses()
@Controller('v0/password_resets')
export class PasswordResetsController {
  constructor(private readonly resets: PasswordResetsService) {}

  @Post()
  @HttpCode(200)
  @ApiOperation({
    summary: 'Mails a single-use, expiring reset link; answers the same whether or not the user exists',
  })
  @ApiOkResponse({ type: PasswordResetRequested })
  async request(@Body() body: PasswordResetRequestBody) {
    await this.resets.request((body.email_or_username ?? body.email ?? body.username)!);
    return { message: 'Password Reset Instructions Delivered' as const };
  }

  @Get(':token')
  @ApiOperation({ summary: 'The user a reset link is for; 404 when it is unknown, used or expired' })
  @ApiOkResponse({ type: UserResponse })
  show(@Param('token') token: string) {
    return this.resets.show(token);
  }

  @Patch(':token')
  @ApiOperation({ summary: 'Sets a new password through a reset link, which then stops working' })
  @ApiOkResponse({ type: UserResponse })
  update(@Param('token') token: string, @Body() body: NewPasswordBody) {
    return this.resets.reset(token, body.password);
  }

  @Put(':token')
  @ApiOperation({ summary: 'The same as PATCH' })
  @ApiOkResponse({ type: UserResponse })
  replace(@Param('token') token: string, @Body() body: NewPasswordBody) {
    return this.resets.reset(token, body.password);
  }
}
