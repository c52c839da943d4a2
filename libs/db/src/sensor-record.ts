/** A measurement (what a sensor measures), as the REST API reads it. */
export interface MeasurementRecord {
  id: number;
  uuid: string;
  name: string;
  description: string;
  definition: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A sensor of the catalogue with what it measures. */
export interface SensorRecord {
  id: number;
  uuid: string;
  parentId: number | null;
  name: string;
  description: string;
  unit: string;
  measurementId: number | null;
  datasheet: string | null;
  unitDefinition: string | null;
  tags: string[];
  createdAt: Date;
  updatedAt: Date;
  measurement: MeasurementRecord | null;
}

export interface SensorListQuery {
  nameContains?: string;
  ids?: number[];
  offset: number;
  limit: number;
}

export interface SensorFields {
  name?: string;
  description?: string;
  unit?: string;
  parentId?: number | null;
  measurementId?: number | null;
  datasheet?: string | null;
  unitDefinition?: string | null;
  tags?: string[];
}
