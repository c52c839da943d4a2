import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '../common/api-error.js';
import type { AuthService } from '../auth/auth.service.js';

/** Cookie that carries an admin's API token for the dashboard's own requests. */
export const ADMIN_COOKIE = 'sck_admin';

function cookieToken(req: Request): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === ADMIN_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

function bearerToken(req: Request): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
}

/**
 * Admins only, for pages served outside Nest's guards (the queue dashboard). A browser signs in
 * once with `?access_token=<admin api token>`: the token moves into an HttpOnly, SameSite=Strict
 * cookie scoped to `basePath` and the browser is redirected to the same URL without it, so the
 * token does not stay in the address bar; the dashboard's own requests then carry the cookie.
 * `Authorization: Bearer` works too. Guests get 401, other users 403, in the API's error shape.
 */
export function adminOnly(auth: AuthService, basePath: string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const fromQuery = typeof req.query.access_token === 'string' ? req.query.access_token : undefined;
    const token = bearerToken(req) ?? fromQuery ?? cookieToken(req);
    const refuse = (error: ApiError) => {
      res.status(error.status).json(error.toBody());
    };
    if (!token)
      return refuse(
        ApiError.unauthorized('The queue dashboard is for admins: sign in with an admin API token.'),
      );
    let role: string;
    try {
      role = (await auth.authenticate(token)).role;
    } catch (error) {
      return refuse(error instanceof ApiError ? error : ApiError.unauthorized());
    }
    if (role !== 'admin') return refuse(ApiError.forbidden('The queue dashboard is for admins only.'));
    if (fromQuery !== undefined) {
      res.cookie(ADMIN_COOKIE, token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: req.secure,
        path: basePath,
      });
      const url = new URL(req.originalUrl, 'http://local');
      url.searchParams.delete('access_token');
      return res.redirect(303, `${url.pathname}${url.search}`);
    }
    next();
  };
}
