import { HttpStatus } from '@nestjs/common';

/** The error codes of the Smart Citizen v0 API, with their HTTP statuses. */
export const API_ERRORS = {
  bad_request: HttpStatus.BAD_REQUEST,
  parameter_missing: HttpStatus.BAD_REQUEST,
  unauthorized: HttpStatus.UNAUTHORIZED,
  forbidden: HttpStatus.FORBIDDEN,
  record_not_found: HttpStatus.NOT_FOUND,
  unprocessable_entity: HttpStatus.UNPROCESSABLE_ENTITY,
  enhance_your_calm: HttpStatus.TOO_MANY_REQUESTS,
  internal_server_error: HttpStatus.INTERNAL_SERVER_ERROR,
  service_unavailable: HttpStatus.SERVICE_UNAVAILABLE,
} as const;

export type ApiErrorId = keyof typeof API_ERRORS;

export interface ApiErrorBody {
  id: ApiErrorId;
  message: string;
  url: null;
  errors: unknown;
}

/** Thrown anywhere below a controller; the exception filter writes it as the v0 error body. */
export class ApiError extends Error {
  constructor(
    readonly id: ApiErrorId,
    message: string,
    readonly errors: unknown = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  get status(): number {
    return API_ERRORS[this.id];
  }

  toBody(): ApiErrorBody {
    return { id: this.id, message: this.message, url: null, errors: this.errors };
  }

  static badRequest(message: string, errors: unknown = null) {
    return new ApiError('bad_request', message, errors);
  }
  static parameterMissing(message: string) {
    return new ApiError('parameter_missing', message);
  }
  static unauthorized(message = 'Authorization required: send "Authorization: Bearer <api token>"') {
    return new ApiError('unauthorized', message);
  }
  static forbidden(message: string) {
    return new ApiError('forbidden', message);
  }
  static unavailable(message: string) {
    return new ApiError('service_unavailable', message);
  }
  static notFound(message: string) {
    return new ApiError('record_not_found', message);
  }
  static unprocessable(message: string, errors: unknown) {
    return new ApiError('unprocessable_entity', message, errors);
  }
}
