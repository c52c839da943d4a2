import { Injectable } from '@nestjs/common';
import { type ApiUser, UsersRepository, hashApiToken } from '#db';
import { ApiError } from '../common/api-error.js';

@Injectable()
export class AuthService {
  constructor(private readonly users: UsersRepository) {}

  /** The token's user; a token that matches nobody is a 401, not a guest. */
  async authenticate(token: string): Promise<ApiUser> {
    const user = await this.users.findUserByTokenHash(hashApiToken(token));
    if (!user)
      throw ApiError.unauthorized(
        'Invalid API token: it matches no user (tokens are shown once, at creation).',
      );
    return user;
  }
}
