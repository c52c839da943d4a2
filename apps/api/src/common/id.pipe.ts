import { Injectable, type PipeTransform } from '@nestjs/common';
import { ApiError } from './api-error.js';

/** `:id` path segments: anything but a positive integer names no record (404, like the reference). */
@Injectable()
export class RecordIdPipe implements PipeTransform<string, number> {
  transform(value: string): number {
    if (!/^\d{1,9}$/.test(value) || Number(value) === 0) {
      throw ApiError.notFound(`No record with id "${value}": ids are positive integers`);
    }
    return Number(value);
  }
}
