export * from './queues.js';
export * from './device-lifecycle.producer.js';
export * from './queue-backend.js';
