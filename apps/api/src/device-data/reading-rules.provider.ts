import { Inject, Injectable } from '@nestjs/common';
import type { ApiConfig } from '#config';
import { SensorsRepository } from '#db';
import type { ReadingRules } from '#domain';
import { API_CONFIG } from '../api.tokens.js';

/** The reading rules of PROTOCOL.md with the API's clock and the catalogue as it is now. */
@Injectable()
export class ReadingRulesProvider {
  private readonly floor: number;
  private readonly maxFutureMs: number;

  constructor(
    private readonly sensors: SensorsRepository,
    @Inject(API_CONFIG) config: ApiConfig,
  ) {
    this.floor = Date.parse(config.READINGS_FLOOR);
    this.maxFutureMs = config.READINGS_MAX_FUTURE_HOURS * 3_600_000;
  }

  async rules(): Promise<ReadingRules> {
    const sensorIds = new Set(await this.sensors.listSensorIds());
    return { sensorIds, now: Date.now(), floor: this.floor, maxFutureMs: this.maxFutureMs };
  }
}
