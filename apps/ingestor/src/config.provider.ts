import type { IngestorConfig } from '#config';

/** Injection token for the parsed ingestor configuration. */
export const INGESTOR_CONFIG = Symbol('INGESTOR_CONFIG');
export type { IngestorConfig };
