import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  SetMetadata,
  createParamDecorator,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request } from 'express';
import type { ApiUser } from '#db';
import { ApiError } from '../common/api-error.js';
import { AuthService } from './auth.service.js';

const AUTHENTICATED = 'sck:authenticated';

/** The route needs a signed-in user; guests get a 401. */
export const Authenticated = () => SetMetadata(AUTHENTICATED, true);

type AuthedRequest = Request & { user?: ApiUser | null };

/** The signed-in user, or null for a guest. */
export const CurrentUser = createParamDecorator(
  (_data: unknown, context: ExecutionContext): ApiUser | null =>
    context.switchToHttp().getRequest<AuthedRequest>().user ?? null,
);

/**
 * Resolves `Authorization: Bearer <token>` or `?access_token=` on every route; routes marked
 * @Authenticated() refuse guests.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<AuthedRequest>();
    const token = tokenOf(request);
    request.user = token === undefined ? null : await this.auth.authenticate(token);
    const required = this.reflector.getAllAndOverride<boolean>(AUTHENTICATED, [
      context.getHandler(),
      context.getClass(),
    ]);
    if (required && !request.user) throw ApiError.unauthorized();
    return true;
  }
}

function tokenOf(request: Request): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) throw ApiError.unauthorized('Malformed Authorization header: expected "Bearer <api token>".');
    return match[1];
  }
  const query = (request.query as Record<string, unknown>).access_token;
  if (query === undefined) return undefined;
  if (typeof query !== 'string' || query === '') {
    throw ApiError.unauthorized('access_token must be given once, as a non-empty API token.');
  }
  return query;
}
