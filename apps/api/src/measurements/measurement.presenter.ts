import type { MeasurementRecord } from '#db';
import { isoSeconds } from '#presenters';

/** The measurement as sensors embed it (the connector's `Measurement`). */
export function presentMeasurement(m: MeasurementRecord) {
  return { id: m.id, uuid: m.uuid, name: m.name, description: m.description, definition: m.definition };
}

/** `GET /v0/measurements[/:id]`: the embedded keys, then its times. */
export function presentMeasurementRecord(m: MeasurementRecord) {
  return {
    ...presentMeasurement(m),
    created_at: isoSeconds(m.createdAt),
    updated_at: isoSeconds(m.updatedAt),
  };
}
