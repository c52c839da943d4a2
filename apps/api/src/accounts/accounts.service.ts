import { Injectable } from '@nestjs/common';
import bcrypt from 'bcryptjs';
import { AccountsRepository, ProfileTakenError, generateApiToken, hashApiToken } from '#db';
import { ApiError } from '../common/api-error.js';
import type { LoginBody, SignUpBody } from './accounts.dto.js';

export const BCRYPT_COST = 10;
/** Login tokens expire; personal API tokens (user:create) do not. */
export const SESSION_TTL_MS = 30 * 24 * 3600 * 1000;
/** Compared against when the user is unknown, so both failures take as long. */
const DUMMY_HASH = bcrypt.hashSync('not a password of anyone', BCRYPT_COST);

@Injectable()
export class AccountsService {
  constructor(private readonly accounts: AccountsRepository) {}

  async signUp(body: SignUpBody) {
    const passwordHash = await bcrypt.hash(body.password, BCRYPT_COST);
    try {
      const user = await this.accounts.createUser({
        email: body.email,
        username: body.username,
        passwordHash,
      });
      return { id: user.id, uuid: user.uuid, username: user.username, email: body.email, role: user.role };
    } catch (error) {
      if (error instanceof ProfileTakenError) {
        throw ApiError.unprocessable(`${error.field} is already taken`, {
          [error.field]: ['has already been taken'],
        });
      }
      throw error;
    }
  }

  async login(body: LoginBody) {
    const login = body.email !== undefined ? { email: body.email } : { username: body.username! };
    const user = await this.accounts.findLoginCandidate(login);
    const ok = await bcrypt.compare(body.password, user?.passwordHash ?? DUMMY_HASH);
    if (!user || user.passwordHash === null || !ok) {
      throw ApiError.unauthorized('Invalid email, username or password');
    }
    const token = generateApiToken();
    const expiresAt = new Date(Date.now() + SESSION_TTL_MS);
    await this.accounts.createSessionToken(user.id, hashApiToken(token), expiresAt);
    return { access_token: token, token_type: 'Bearer' as const, expires_at: expiresAt.toISOString() };
  }
}
