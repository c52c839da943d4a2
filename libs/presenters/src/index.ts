export * from './device.presenter.js';
export * from './geohash.js';
export * from './time.js';
