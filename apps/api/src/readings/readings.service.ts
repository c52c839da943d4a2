import { Inject, Injectable } from '@nestjs/common';
import type { ApiConfig } from '#config';
import { type ApiUser, IngestErrorsRepository, ReadingsQueryRepository, SensorsRepository } from '#db';
import { ApiError } from '../common/api-error.js';
import type { PageRequest } from '../common/pagination.js';
import { isoMillis, isoSeconds } from '#presenters';
import { DevicesService, readable } from '../devices/devices.service.js';
import type { ReadingsQuery } from './readings.dto.js';
import { API_CONFIG } from '../api.tokens.js';
import { checkBucketLimit } from './bucket-limit.js';
import { RollupGate } from './rollup-gate.js';
import { checkIntervalCount, fillsIntervals, spanBefore } from './readings-window.js';
import { fillIntervals, rollupMs } from './intervals.js';
import { sensorKey } from '#presenters';

@Injectable()
export class ReadingsService {
  constructor(
    private readonly devices: DevicesService,
    private readonly sensors: SensorsRepository,
    private readonly readingsQuery: ReadingsQueryRepository,
    private readonly ingestErrorLog: IngestErrorsRepository,
    private readonly gate: RollupGate,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  async readings(deviceId: number, query: ReadingsQuery, viewer: ApiUser | null) {
    const to = query.to ?? new Date();
    const from = query.from ?? spanBefore(to, query.relative);
    if (from.getTime() >= to.getTime()) {
      throw ApiError.badRequest(`from (${isoSeconds(from)}) must be before to (${isoSeconds(to)})`);
    }
    const fn = query.function ?? 'avg';
    const fill = query.all_intervals === true && fillsIntervals(query.rollup);
    if (fill) checkIntervalCount(from, to, query.rollup);
    const sensorId = query.sensor_id ?? (await this.sensorIdOfKey(deviceId, query.sensor_key!, viewer));
    // Who may read, and whether there is anything to read, before the rollup costs anything: a
    // refused request starts no query. A device error wins over a sensor error.
    const target = await this.readingsQuery.findReadingsTarget(deviceId, sensorId);
    const device = readable(deviceId, target.device, viewer);
    const { sensor, componentId } = target;
    if (!sensor) throw ApiError.notFound(`Sensor ${sensorId} not found (see GET /v0/sensors)`);
    checkBucketLimit(from, to, query.rollup, this.config.READINGS_MAX_BUCKETS);
    const buckets =
      componentId === null
        ? []
        : await this.gate.run(() =>
            this.readingsQuery.rollupReadings({
              deviceId,
              sensorId,
              from,
              to,
              every: { count: query.rollup.count, unit: query.rollup.unit },
              fn,
              limit: fill ? undefined : query.limit,
            }),
          );
    const answered = fill ? fillIntervals(buckets, from, to, query.rollup).slice(0, query.limit) : buckets;
    const size = rollupMs(query.rollup);
    const time = size !== null && size < 1000 ? isoMillis : isoSeconds;
    return {
      device_id: device.id,
      sensor_key: sensorKey(sensor.name),
      sensor_id: sensor.id,
      component_id: componentId,
      rollup: query.rollup.text,
      function: fn,
      from: isoSeconds(from),
      to: isoSeconds(to),
      sample_size: buckets.reduce((n, b) => n + b.samples, 0),
      readings: answered.map((b) => [time(b.at), b.value] as const),
    };
  }

  async ingestErrors(deviceId: number, page: PageRequest, viewer: ApiUser | null) {
    await this.devices.findManageableDevice(deviceId, viewer);
    const { total, errors } = await this.ingestErrorLog.listDeviceIngestErrors(deviceId, {
      offset: page.offset,
      limit: page.perPage,
    });
    return {
      total,
      errors: errors.map((e) => ({
        id: e.id,
        reason: e.reason,
        message: e.message,
        topic: e.topic,
        item: e.item,
        payload_base64: e.payloadBase64,
        created_at: isoSeconds(e.createdAt),
      })),
    };
  }

  /** The id of the sensor a `sensor_key` names; an unknown key is a 404, after the device's own check. */
  private async sensorIdOfKey(deviceId: number, key: string, viewer: ApiUser | null): Promise<number> {
    const sensor = (await this.sensors.listSensorNames()).find((s) => sensorKey(s.name) === key);
    if (sensor) return sensor.id;
    await this.devices.findReadableDevice(deviceId, viewer);
    throw ApiError.notFound(`No sensor has the key "${key}" (see GET /v0/sensors)`);
  }
}
