export * from './reasons.js';
export * from './topics.js';
export * from './raw-grammar.js';
export * from './timestamps.js';
export * from './readings.js';
export * from './samples.js';
export * from './device-messages.js';
export * from './live-readings.js';
