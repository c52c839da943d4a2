import { Injectable } from '@nestjs/common';
import { type ApiUser, type IngestErrorRecord, IngestRepository, type StoredReading } from '#db';
import { type ReadingRules, applyReadingRules } from '#domain';
import { ApiError } from '../common/api-error.js';
import { DevicesService } from '../devices/devices.service.js';
import { type CsvLine, csvLines } from './csv-lines.js';
import { ReadingRulesProvider } from './reading-rules.provider.js';
import { UploadOutcome } from './upload-outcome.js';

/** Readings written per transaction while a file streams in. */
const FLUSH_READINGS = 5000;
const HEADER_ROWS = 4;

/**
 * The SD-card CSV a kit writes while offline: four header rows (short names, units, names,
 * sensor ids), then one row per reading time, the timestamp first; `null` or empty cells are
 * skipped. Rows go through the same rules as MQTT readings and are stored in batches as they
 * stream in, so memory stays bounded whatever the file's size; readings already stored (a second
 * upload of the same file) are counted as duplicates, not stored twice.
 */
@Injectable()
export class CsvImportService {
  constructor(
    private readonly devices: DevicesService,
    private readonly ingest: IngestRepository,
    private readonly rules: ReadingRulesProvider,
  ) {}

  async import(deviceId: number, body: AsyncIterable<Buffer | string>, viewer: ApiUser | null) {
    await this.devices.findManageableDevice(deviceId, viewer);
    const outcome = new UploadOutcome(deviceId, `api:POST /v0/devices/${deviceId}/readings/csv`);
    const rules = await this.rules.rules();
    const lines = csvLines(body);
    const ids = await readHeader(lines);
    const rows = { total: 0, accepted: 0, rejected: 0 };
    let readings: StoredReading[] = [];
    let errors: IngestErrorRecord[] = [];
    const flush = async () => {
      const { inserted } = await this.ingest.storeBatch({ readings, errors });
      outcome.written(readings.length, inserted);
      readings = [];
      errors = [];
    };
    for await (const line of lines) {
      if ('text' in line && line.text.trim() === '') continue;
      rows.total++;
      const row = readRow(line, ids, rules);
      if (row.rejections.length > 0) rows.rejected++;
      else rows.accepted++;
      for (const rejection of row.rejections) errors.push(outcome.reject(rejection, line.number));
      readings.push(...outcome.rows(row.rows));
      if (readings.length >= FLUSH_READINGS || errors.length >= FLUSH_READINGS) await flush();
    }
    await flush();
    return {
      id: 'ok',
      message: `${rows.total} rows: ${rows.accepted} accepted, ${rows.rejected} with rejections; ${outcome.message()}`,
      rows: rows.total,
      accepted_rows: rows.accepted,
      rejected_rows: rows.rejected,
      stored: outcome.stored,
      duplicated: outcome.duplicated,
      rejected: outcome.rejected,
      rejections: outcome.examples,
    };
  }
}

/** The sensor ids of the fourth header row; a file without four header rows is a 400. */
async function readHeader(lines: AsyncGenerator<CsvLine>): Promise<string[]> {
  let last: CsvLine | undefined;
  for (let n = 0; n < HEADER_ROWS; n++) {
    const next = await lines.next();
    if (next.done) {
      throw ApiError.badRequest(
        `The file ends within its header: an SD-card CSV has ${HEADER_ROWS} header rows, the fourth naming the sensor ids`,
      );
    }
    last = next.value;
  }
  const cells = last && 'text' in last ? last.text.split(',').map((c) => c.trim()) : [];
  const ids = cells.slice(1);
  if (ids.length === 0 || ids.some((id) => !/^\d{1,9}$/.test(id))) {
    throw ApiError.badRequest(
      `Header row ${HEADER_ROWS} must be "TIME,<sensor id>,<sensor id>,…" (e.g. TIME,10,55,56); got "${cells.join(',').slice(0, 200)}"`,
    );
  }
  return ids;
}

function readRow(line: CsvLine, ids: string[], rules: ReadingRules) {
  if (!('text' in line)) {
    return {
      rows: [],
      rejections: [{ reason: 'schema' as const, message: `line ${line.number} is too long` }],
    };
  }
  const cells = line.text.split(',').map((c) => c.trim());
  if (cells.length !== ids.length + 1) {
    return {
      rows: [],
      rejections: [
        {
          reason: 'schema' as const,
          message: `line ${line.number} has ${cells.length} cells, the header ${ids.length + 1} (a truncated file?)`,
          item: line.text.slice(0, 200),
        },
      ],
    };
  }
  const items = ids.map((id, i) => {
    const cell = cells[i + 1];
    return { id, value: cell === '' || cell.toLowerCase() === 'null' ? null : cell };
  });
  return applyReadingRules([{ recordedAt: cells[0], items, source: line.text.slice(0, 200) }], rules);
}
