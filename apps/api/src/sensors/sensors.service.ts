import { Injectable } from '@nestjs/common';
import { type ApiUser, type SensorRecord, type SensorFields, SensorsRepository } from '#db';
import { ApiError } from '../common/api-error.js';
import type { PageRequest } from '../common/pagination.js';
import { isoSeconds } from '#presenters';
import { presentMeasurement } from '../measurements/measurement.presenter.js';
import { sensorKey } from '#presenters';
import type { CreateSensorBody, ListSensorsQuery, UpdateSensorBody } from './sensors.dto.js';

/** The v0 sensor JSON: the keys of API.md, then what the web app reads of /v0/sensors. */
export function presentSensor(sensor: SensorRecord) {
  return {
    id: sensor.id,
    uuid: sensor.uuid,
    parent_id: sensor.parentId,
    name: sensor.name,
    description: sensor.description,
    unit: sensor.unit,
    created_at: isoSeconds(sensor.createdAt),
    updated_at: isoSeconds(sensor.updatedAt),
    ancestry: sensor.parentId === null ? null : String(sensor.parentId),
    default_key: sensorKey(sensor.name),
    datasheet: sensor.datasheet,
    unit_definition: sensor.unitDefinition,
    measurement: sensor.measurement && presentMeasurement(sensor.measurement),
    tags: sensor.tags,
  };
}

function toFields(body: UpdateSensorBody): SensorFields {
  return {
    name: body.name,
    description: body.description,
    unit: body.unit,
    parentId: body.parent_id,
    measurementId: body.measurement_id,
    datasheet: body.datasheet,
    unitDefinition: body.unit_definition,
    tags: body.tags,
  };
}

@Injectable()
export class SensorsService {
  constructor(private readonly sensors: SensorsRepository) {}

  async list(query: ListSensorsQuery, page: PageRequest) {
    const { total, sensors } = await this.sensors.listSensors({
      nameContains: query['q[name_cont]'],
      ids: query['q[id_in][]'],
      offset: page.offset,
      limit: page.perPage,
    });
    return { total, sensors: sensors.map(presentSensor) };
  }

  async get(id: number) {
    const sensor = await this.sensors.findSensor(id);
    if (!sensor) throw ApiError.notFound(`Sensor ${id} not found`);
    return presentSensor(sensor);
  }

  async create(body: CreateSensorBody, viewer: ApiUser) {
    requireAdmin(viewer);
    await this.checkParent(body.parent_id);
    await this.checkMeasurement(body.measurement_id);
    const sensor = await this.sensors.createSensor({ ...toFields(body), name: body.name });
    return presentSensor(sensor);
  }

  async update(id: number, body: UpdateSensorBody, viewer: ApiUser) {
    requireAdmin(viewer);
    if (body.parent_id === id) {
      throw ApiError.unprocessable('parent_id cannot be the sensor itself', {
        parent_id: ['is the sensor itself'],
      });
    }
    await this.checkParent(body.parent_id);
    await this.checkMeasurement(body.measurement_id);
    const sensor = await this.sensors.updateSensor(id, toFields(body));
    if (!sensor) throw ApiError.notFound(`Sensor ${id} not found`);
    return presentSensor(sensor);
  }

  private async checkMeasurement(measurementId: number | null | undefined) {
    if (measurementId === null || measurementId === undefined) return;
    if (!(await this.sensors.measurementExists(measurementId))) {
      throw ApiError.unprocessable(`measurement_id ${measurementId} names no measurement`, {
        measurement_id: ['names no measurement (see GET /v0/measurements)'],
      });
    }
  }

  private async checkParent(parentId: number | null | undefined) {
    if (parentId === null || parentId === undefined) return;
    if (!(await this.sensors.findSensor(parentId))) {
      throw ApiError.unprocessable(`parent_id ${parentId} names no sensor`, {
        parent_id: ['names no sensor'],
      });
    }
  }
}

function requireAdmin(viewer: ApiUser) {
  if (viewer.role !== 'admin') throw ApiError.forbidden('Only admins may edit the sensor catalogue');
}
