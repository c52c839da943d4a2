export * from './device.presenter.js';
export * from './country.js';
export * from './geohash.js';
export * from './time.js';
export * from './sensor-key.js';
