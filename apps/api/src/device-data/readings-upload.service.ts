import { Injectable } from '@nestjs/common';
import { type ApiUser, IngestRepository } from '#db';
import { applyReadingRules, decodeJsonReadings } from '#domain';
import { ApiError } from '../common/api-error.js';
import { DevicesService } from '../devices/devices.service.js';
import { ReadingRulesProvider } from './reading-rules.provider.js';
import { UploadOutcome } from './upload-outcome.js';

/**
 * `POST /v0/devices/:id/readings {"data":[…]}`: the MQTT JSON form, through the same decoder, rules
 * and batch statement as the ingestor (one transaction: readings, the device's last reading,
 * rejections). Only the device's owner and admins may post.
 */
@Injectable()
export class ReadingsUploadService {
  constructor(
    private readonly devices: DevicesService,
    private readonly ingest: IngestRepository,
    private readonly rules: ReadingRulesProvider,
  ) {}

  async post(deviceId: number, body: unknown, viewer: ApiUser | null) {
    await this.devices.findManageableDevice(deviceId, viewer);
    const outcome = new UploadOutcome(deviceId, `api:POST /v0/devices/${deviceId}/readings`);
    const decoded = decodeJsonReadings(Buffer.from(JSON.stringify(body ?? null)));
    if (!decoded.ok) {
      throw ApiError.badRequest(
        `${decoded.rejection.message} (expected {"data":[{"recorded_at":"2024-01-01T00:00:00Z","sensors":[{"id":55,"value":21.5}]}]})`,
        { reason: decoded.rejection.reason },
      );
    }
    const { rows, rejections } = applyReadingRules(decoded.readings, await this.rules.rules());
    const errors = rejections.map((r) => outcome.reject(r));
    const readings = outcome.rows(rows);
    const { inserted } = await this.ingest.storeBatch({ readings, errors });
    outcome.written(readings.length, inserted);
    return {
      id: 'ok',
      message: outcome.message(),
      url: null,
      errors: null,
      stored: outcome.stored,
      duplicated: outcome.duplicated,
      rejected: outcome.rejected,
      rejections: outcome.examples,
    };
  }
}
