import { Body, Controller, Get, Param, Patch } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { ApiUser } from '#db';
import { Authenticated, CurrentUser } from '../auth/auth.guard.js';
import { ApiErrorResponses } from '../common/responses.js';
import { UpdateMeBody, UserResponse } from './users.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@ApiBearerAuth()
@ApiErrorResponses()
@Controller('v0')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The caller, with their email and all their devices' })
  @ApiOkResponse({ type: UserResponse })
  me(@CurrentUser() viewer: ApiUser) {
    return this.users.me(viewer);
  }

  @Patch('me')
  @Authenticated()
  @ApiOperation({
    summary:
      "Changes the caller's profile: username, email, url, profile_picture, city, country_code; " +
      'forwarding_username (researchers and admins)',
  })
  @ApiOkResponse({ type: UserResponse })
  updateMe(@CurrentUser() viewer: ApiUser, @Body() body: UpdateMeBody) {
    return this.users.updateMe(viewer, body);
  }

  @Get('users/:idOrUsername')
  @ApiOperation({ summary: 'A user by id or username: public profile and the devices the caller may see' })
  @ApiOkResponse({ type: UserResponse })
  get(@Param('idOrUsername') idOrUsername: string, @CurrentUser() viewer: ApiUser | null) {
    return this.users.get(idOrUsername, viewer);
  }
}
