export * from './queues.js';
export * from './producer.js';
export * from './queue-backend.js';
