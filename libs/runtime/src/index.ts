export { closeOnSignals, type Closable, type Stop } from './shutdown.js';
