import { Inject, Injectable, Logger } from '@nestjs/common';
import { RetentionRepository } from '#db';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';
import { IngestMetrics } from '../pipeline/ingest.metrics.js';

/**
 * Keeps the tables that unknown or hostile traffic can grow within their retention:
 * ingest_errors and device_inventory, and kits in setup that were never registered (parked
 * messages have their own, see ParkedReplayService).
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger('Retention');

  constructor(
    private readonly retention: RetentionRepository,
    private readonly metrics: IngestMetrics,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {}

  async run(now = new Date()): Promise<{ ingestErrors: number; inventory: number; orphans: number }> {
    const hoursAgo = (hours: number) => new Date(now.getTime() - hours * 3_600_000);
    const ingestErrors = await this.retention.purgeIngestErrors(
      hoursAgo(this.config.INGEST_ERRORS_RETENTION_HOURS),
    );
    const inventory = await this.retention.purgeInventory(hoursAgo(this.config.INVENTORY_RETENTION_HOURS));
    const orphans = await this.retention.purgeOrphans(hoursAgo(this.config.ORPHAN_RETENTION_HOURS));
    this.metrics.purged('ingest_errors', ingestErrors);
    this.metrics.purged('device_inventory', inventory);
    this.metrics.purged('orphan_devices', orphans);
    if (ingestErrors + inventory + orphans > 0) {
      this.logger.log(
        `retention: ${ingestErrors} ingest errors, ${inventory} inventory reports, ${orphans} kits in setup deleted`,
      );
    }
    return { ingestErrors, inventory, orphans };
  }
}
