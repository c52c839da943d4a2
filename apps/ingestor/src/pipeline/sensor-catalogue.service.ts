import { Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { SensorsRepository } from '#db';

const REFRESH_MS = 60_000;

/** The sensor ids readings are checked against; reloaded every minute so new sensors are picked up. */
@Injectable()
export class SensorCatalogueService implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(SensorCatalogueService.name);
  private ids: ReadonlySet<number> = new Set();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sensors: SensorsRepository) {}

  async onModuleInit(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => {
      this.reload().catch((error: unknown) =>
        this.logger.warn(`sensor catalogue not reloaded: ${String(error)}`),
      );
    }, REFRESH_MS).unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  get sensorIds(): ReadonlySet<number> {
    return this.ids;
  }

  async reload(): Promise<void> {
    const ids = await this.sensors.listSensorIds();
    if (ids.length === 0) throw new Error('the sensor catalogue is empty: run `npm run db:deploy` first');
    this.ids = new Set(ids);
  }
}
