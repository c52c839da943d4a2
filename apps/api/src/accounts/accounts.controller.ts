import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ApiErrorResponses } from '../common/responses.js';
import { LoginBody, SessionResponse, SignUpBody, SignUpResponse } from './accounts.dto.js';
import { AccountsService } from './accounts.service.js';

@ApiTags('users')
@ApiErrorResponses()
@Controller('v0')
export class AccountsController {
  constructor(private readonly accounts: AccountsService) {}

  @Post('users')
  @ApiOperation({ summary: 'Signs up: a citizen with an email, a username and a password' })
  @ApiCreatedResponse({ type: SignUpResponse })
  signUp(@Body() body: SignUpBody) {
    return this.accounts.signUp(body);
  }

  @Post('sessions')
  @HttpCode(200)
  @ApiOperation({ summary: 'Logs in with email or username and password: an expiring bearer token' })
  @ApiOkResponse({ type: SessionResponse })
  login(@Body() body: LoginBody) {
    return this.accounts.login(body);
  }
}
