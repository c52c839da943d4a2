import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { ThrottlerException } from '@nestjs/throttler';
import type { Request, Response } from 'express';
import type { ApiConfig } from '#config';
import { QUERY_CANCELED } from '#db';
import { ApiError, type ApiErrorId } from './api-error.js';

const BY_STATUS: Record<number, ApiErrorId> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'record_not_found',
  422: 'unprocessable_entity',
  429: 'enhance_your_calm',
};

/** Every error leaves the API as `{"id","message","url":null,"errors"}`; nothing else leaks. */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('Api');

  constructor(
    private readonly config: Pick<ApiConfig, 'RATE_LIMIT_PER_MINUTE' | 'API_STATEMENT_TIMEOUT_MS'>,
  ) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<Request>();
    const response = http.getResponse<Response>();
    const error = this.toApiError(exception, request);
    response.status(error.status).json(error.toBody());
  }

  private toApiError(exception: unknown, request: Request): ApiError {
    if (exception instanceof ApiError) return exception;
    if (exception instanceof ThrottlerException) {
      return new ApiError(
        'enhance_your_calm',
        `Too many requests: at most ${this.config.RATE_LIMIT_PER_MINUTE} per minute per client. Retry later (see Retry-After).`,
      );
    }
    if (exception instanceof HttpException) {
      const status = exception.getStatus();
      if (status === 404) return ApiError.notFound(`No route for ${request.method} ${request.path}`);
      const id = BY_STATUS[status];
      // A body the parser could not read (malformed JSON) arrives here as a plain 400.
      if (status === 400) return ApiError.badRequest(`Malformed request: ${describe(exception)}`);
      if (id) return new ApiError(id, describe(exception));
      if (status < 500) return ApiError.badRequest(describe(exception));
    }
    if (isStatementTimeout(exception)) {
      return new ApiError(
        'service_unavailable',
        `The request needed more than ${this.config.API_STATEMENT_TIMEOUT_MS} ms of database time and was cancelled: ask for a shorter range or a coarser rollup, or retry later`,
      );
    }
    // Body parser errors (malformed JSON, body too large) are plain errors with a status.
    const status = (exception as { status?: unknown; statusCode?: unknown })?.status;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      return ApiError.badRequest(`Could not read the request body: ${(exception as Error).message}`);
    }
    this.logger.error(
      exception instanceof Error ? (exception.stack ?? exception.message) : String(exception),
    );
    return new ApiError('internal_server_error', 'Something went wrong on our side; it has been logged.');
  }
}

/** PostgreSQL's statement_timeout, through pg directly or wrapped by Prisma's driver adapter. */
function isStatementTimeout(exception: unknown): boolean {
  for (
    let e = exception as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    depth++
  ) {
    if (e.code === QUERY_CANCELED || (e as { originalCode?: unknown }).originalCode === QUERY_CANCELED)
      return true;
    e = e.cause as typeof e;
  }
  return false;
}

function describe(exception: HttpException): string {
  const body = exception.getResponse();
  if (typeof body === 'string') return body;
  const message = (body as { message?: unknown }).message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : exception.message;
}
