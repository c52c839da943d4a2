import { Logger } from '@nestjs/common';
import { ConfigError, loadApiConfig } from '#config';
import { closeOnSignals } from '#runtime';
import { startApi } from './bootstrap.js';

try {
  const config = loadApiConfig();
  const { app } = await startApi(config);
  const logger = new Logger('Api');
  closeOnSignals([{ name: 'api', close: () => app.close() }], config.SHUTDOWN_TIMEOUT_MS, (line) =>
    logger.log(line),
  );
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
