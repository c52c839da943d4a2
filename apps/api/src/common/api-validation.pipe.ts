import { type ArgumentMetadata, Injectable, type PipeTransform } from '@nestjs/common';
import type { ZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { ApiError } from './api-error.js';
import { findTextProblem } from './text-check.js';
import { refuseUnknownFilters } from './filters.js';

/**
 * Validation: nestjs-zod 5 (its peer range says Nest 10/11; an npm `overrides` entry lets it sit on
 * Nest 12 and @nestjs/swagger 12, where `createZodDto` and `cleanupOpenApiDoc` work as they are).
 * DTOs are nestjs-zod classes, so one zod schema types the handler, validates the input and
 * feeds the OpenAPI document. This pipe replaces nestjs-zod's own because the v0 errors depend on
 * where the value came from, which its exception factory is not told: a bad query parameter is
 * a 400 naming the parameter and its accepted forms (`parameter_missing` when absent), a bad body
 * field a 422 with the details per field.
 */
@Injectable()
export class ApiValidationPipe implements PipeTransform {
  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    const dto = metadata.metatype as Partial<ZodDto<z.ZodType>> | undefined;
    if (!dto?.isZodDto || !dto.schema) return value;
    if (metadata.type === 'body' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
      throw ApiError.badRequest('The request body must be a JSON object (or a form).');
    }
    const input = value ?? {};
    // PostgreSQL text and jsonb cannot hold NUL or lone surrogates; refuse them at any depth here
    // rather than fail in the query.
    const bad = findTextProblem(input);
    if (bad !== null) {
      const where = metadata.type === 'body' ? 'body field' : 'parameter';
      throw ApiError.badRequest(`${where} ${bad.path} ${bad.problem}`);
    }
    if (metadata.type === 'query') refuseUnknownFilters(input, dto.schema);
    const result = dto.schema.safeParse(input);
    if (result.success) return result.data;
    const problems = result.error.issues.map((issue) => describeIssue(issue, input, dto.schema!));
    const message = problems.map((p) => p.message).join('; ');
    if (metadata.type === 'body') {
      const errors: Record<string, string[]> = {};
      for (const p of problems) (errors[p.field] ??= []).push(p.message);
      throw ApiError.unprocessable(`Invalid request body: ${message}`, errors);
    }
    if (problems.some((p) => p.missing)) {
      throw ApiError.parameterMissing(
        problems
          .filter((p) => p.missing)
          .map((p) => p.message)
          .join('; '),
      );
    }
    throw ApiError.badRequest(message);
  }
}

interface Problem {
  field: string;
  message: string;
  missing: boolean;
}

/**
 * Problems are reported per top-level parameter or field, with the value as it was sent: paths
 * below that point into transformed values (a comma list split into ids), not into the input.
 */
function describeIssue(issue: z.core.$ZodIssue, input: unknown, schema: z.ZodType): Problem {
  const field = issue.path.length > 0 ? String(issue.path[0]) : '(request)';
  if (issue.code === 'custom' && issue.params?.missing === true) {
    return { field, message: issue.message, missing: true };
  }
  const given = issue.path.length > 0 ? (input as Record<string, unknown>)[field] : input;
  const accepted = fieldDescription(schema, field);
  if (given === undefined) {
    return { field, message: `${field} is required${accepted ? `: ${accepted}` : ''}`, missing: true };
  }
  const why = issue.code === 'custom' || !accepted ? issue.message : `accepted: ${accepted}`;
  return { field, message: `${field} is invalid (got ${JSON.stringify(given)}): ${why}`, missing: false };
}

/** The `.describe()` text of a top-level field, looking through optional/nullable/default. */
function fieldDescription(schema: z.ZodType, field: string): string | undefined {
  const shape = (schema as unknown as { shape?: Record<string, z.ZodType> }).shape;
  let current: z.ZodType | undefined = shape?.[field];
  for (let depth = 0; current && depth < 4; depth++) {
    if (current.description) return current.description;
    current = (current as unknown as { unwrap?: () => z.ZodType }).unwrap?.();
  }
  return undefined;
}
