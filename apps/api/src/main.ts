import { ConfigError, loadApiConfig } from '../../../libs/config/src/index.js';
import { startApi } from './bootstrap.js';

try {
  await startApi(loadApiConfig());
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
