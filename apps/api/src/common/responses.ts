import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiTooManyRequestsResponse,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { API_ERRORS, type ApiErrorId } from './api-error.js';

/** Times in responses. */
export const isoTime = z.string().describe('ISO 8601 UTC, to the second: 2023-06-12T02:57:08Z');

export const errorResponse = z.strictObject({
  id: z.enum(Object.keys(API_ERRORS) as [ApiErrorId, ...ApiErrorId[]]),
  message: z.string().describe('What was wrong and what is accepted.'),
  url: z.null(),
  errors: z.record(z.string(), z.array(z.string())).nullable().describe('Per field, for 422.'),
});
export class ErrorResponse extends createZodDto(errorResponse) {}

/** The error answers every v0 route can give. */
export function ApiErrorResponses() {
  return applyDecorators(
    ApiBadRequestResponse({ type: ErrorResponse, description: 'bad_request or parameter_missing' }),
    ApiUnauthorizedResponse({ type: ErrorResponse, description: 'unauthorized' }),
    ApiForbiddenResponse({ type: ErrorResponse, description: 'forbidden' }),
    ApiNotFoundResponse({ type: ErrorResponse, description: 'record_not_found' }),
    ApiUnprocessableEntityResponse({ type: ErrorResponse, description: 'unprocessable_entity' }),
    ApiTooManyRequestsResponse({ type: ErrorResponse, description: 'enhance_your_calm' }),
  );
}
