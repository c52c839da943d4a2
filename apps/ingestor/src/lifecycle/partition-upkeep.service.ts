import { Inject, Injectable, Logger } from '@nestjs/common';
import { PartitionsRepository } from '#db';
import { INGESTOR_CONFIG, type IngestorConfig } from '../config.provider.js';

/**
 * Keeps monthly readings partitions ahead of time, and gives each month that landed in the
 * default partition (a backlog of old readings) its own partition, moving its rows there.
 * Inserts never wait for this: the default partition takes any month in the meantime.
 */
@Injectable()
export class PartitionUpkeepService {
  private readonly logger = new Logger('Partitions');

  constructor(
    private readonly partitions: PartitionsRepository,
    @Inject(INGESTOR_CONFIG) private readonly config: IngestorConfig,
  ) {}

  async run(now = new Date()): Promise<string[]> {
    const months: Date[] = [];
    for (let m = 0; m <= this.config.PARTITION_MONTHS_AHEAD; m++) {
      months.push(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + m, 1)));
    }
    const backlog = await this.partitions.monthsInDefaultPartition();
    const ensured: string[] = [];
    for (const month of [...months, ...backlog]) ensured.push(await this.partitions.ensureMonth(month));
    if (backlog.length > 0) {
      this.logger.log(`moved readings of ${backlog.length} months out of the default partition`);
    }
    return ensured;
  }
}
