import { Injectable } from '@nestjs/common';
import {
  type ApiUser,
  IngestErrorsRepository,
  ReadingsQueryRepository,
  SensorCatalogRepository,
} from '../../../../libs/db/src/index.js';
import { ApiError } from '../common/api-error.js';
import type { PageRequest } from '../common/pagination.js';
import { isoSeconds } from '../common/time.js';
import { DevicesService } from '../devices/devices.service.js';
import type { ReadingsQuery } from './readings.dto.js';
import { sensorKey } from './sensor-key.js';

const DEFAULT_SPAN_MS = 6 * 7 * 86_400_000;

@Injectable()
export class ReadingsService {
  constructor(
    private readonly devices: DevicesService,
    private readonly sensors: SensorCatalogRepository,
    private readonly readingsQuery: ReadingsQueryRepository,
    private readonly ingestErrorLog: IngestErrorsRepository,
  ) {}

  async readings(deviceId: number, query: ReadingsQuery, viewer: ApiUser | null) {
    const to = query.to ?? new Date();
    const from = query.from ?? new Date(to.getTime() - DEFAULT_SPAN_MS);
    if (from.getTime() >= to.getTime()) {
      throw ApiError.badRequest(`from (${isoSeconds(from)}) must be before to (${isoSeconds(to)})`);
    }
    const fn = query.function ?? 'avg';
    const rollup = (sensorId: number) =>
      Promise.all([
        this.readingsQuery.findComponentId(deviceId, sensorId),
        this.readingsQuery.rollupReadings({
          deviceId,
          sensorId,
          from,
          to,
          every: { count: query.rollup.count, unit: query.rollup.unit },
          fn,
        }),
      ]);
    // With a sensor_id every query is known up front: the lookups and the rollup run at once (one
    // round trip instead of two), and the rollup is dropped unless both lookups succeed. The
    // buckets of a sensor the device never reported are empty anyway, and are dropped below.
    const early = query.sensor_id === undefined ? null : rollup(query.sensor_id);
    early?.catch(() => undefined);
    const [deviceLookup, sensorLookup] = await Promise.allSettled([
      this.devices.findReadableDevice(deviceId, viewer),
      this.resolveSensor(query),
    ]);
    // A device error wins over a sensor error.
    if (deviceLookup.status === 'rejected') throw deviceLookup.reason;
    if (sensorLookup.status === 'rejected') throw sensorLookup.reason;
    const device = deviceLookup.value;
    const sensor = sensorLookup.value;
    const [componentId, rolledUp] = await (early ?? rollup(sensor.id));
    const buckets = componentId === null ? [] : rolledUp;
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
      readings: buckets.map((b) => [isoSeconds(b.at), b.value] as const),
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
        id: Number(e.id),
        reason: e.reason,
        message: e.message,
        topic: e.topic,
        item: e.item,
        payload_base64: e.payload ? Buffer.from(e.payload).toString('base64') : null,
        created_at: isoSeconds(e.createdAt),
      })),
    };
  }

  private async resolveSensor(query: ReadingsQuery): Promise<{ id: number; name: string }> {
    if (query.sensor_id !== undefined) {
      const sensor = await this.sensors.findSensor(query.sensor_id);
      if (!sensor) throw ApiError.notFound(`Sensor ${query.sensor_id} not found (see GET /v0/sensors)`);
      return sensor;
    }
    const key = query.sensor_key!;
    const sensor = (await this.sensors.listSensorNames()).find((s) => sensorKey(s.name) === key);
    if (!sensor) throw ApiError.notFound(`No sensor has the key "${key}" (see GET /v0/sensors)`);
    return sensor;
  }
}
