import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { instantParam } from '../common/params.js';

export const exportQuery = z.object({
  from: instantParam('Start (inclusive); default the first reading.').optional(),
  to: instantParam('End (exclusive); default just after the last reading.').optional(),
});
export class ExportQuery extends createZodDto(exportQuery) {}

const rejectionShape = z.object({
  reason: z.string(),
  message: z.string(),
  item: z.unknown().optional(),
  line: z.number().int().optional().describe('CSV uploads: the line of the file.'),
});

export const uploadResponse = z.object({
  id: z.literal('ok'),
  message: z.string(),
  url: z.null().optional(),
  errors: z.null().optional(),
  stored: z.number().int().describe('Readings stored now.'),
  duplicated: z.number().int().describe('Readings already stored before (same sensor and time).'),
  rejected: z.record(z.string(), z.number().int()).describe('Rejected readings or rows by reason code.'),
  rejections: z.array(rejectionShape).describe('The first 100 rejections; all are in ingest_errors.'),
});
export class UploadResponse extends createZodDto(uploadResponse) {}

export const csvUploadResponse = uploadResponse.extend({
  rows: z.number().int(),
  accepted_rows: z.number().int(),
  rejected_rows: z.number().int().describe('Rows with at least one rejection.'),
});
export class CsvUploadResponse extends createZodDto(csvUploadResponse) {}
