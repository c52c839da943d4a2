export { closeOnSignals, type Closable } from './shutdown.js';
