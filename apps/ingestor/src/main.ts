import { Logger } from '@nestjs/common';
import { ConfigError, loadIngestorConfig } from '#config';
import { closeOnSignals } from '#runtime';
import { startIngestor } from './bootstrap.js';

try {
  const config = loadIngestorConfig();
  const ingestor = await startIngestor(config);
  const logger = new Logger('Ingestor');
  // SIGTERM is a restart (the broker keeps this member's session and share); a decommission is
  // requested through `npm run ingestor:decommission`, which this ingestor reads on its heartbeat.
  const stop = closeOnSignals(
    [{ name: 'ingestor', close: () => ingestor.close() }],
    config.SHUTDOWN_TIMEOUT_MS,
    (line) => logger.log(line),
  );
  ingestor.whenDecommissionRequested(() =>
    stop('decommission requested', [{ name: 'ingestor', close: () => ingestor.decommission() }]),
  );
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
