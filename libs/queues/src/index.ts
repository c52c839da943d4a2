export * from './queues.js';
export * from './producer.js';
