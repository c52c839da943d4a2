import { ConfigError, loadIngestorConfig } from '../../../libs/config/src/index.js';
import { startIngestor } from './bootstrap.js';

try {
  await startIngestor(loadIngestorConfig());
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
