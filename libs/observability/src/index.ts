export * from './app-metrics.js';
export * from './logging.js';
