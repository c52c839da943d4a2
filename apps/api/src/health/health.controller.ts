import { Controller, Get, HttpStatus, Logger, Res } from '@nestjs/common';
import type { Response } from 'express';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { HealthRepository } from '#db';

/** Probes are not rate limited: orchestrators poll them. */
@ApiExcludeController()
@SkipThrottle()
@Controller()
export class HealthController {
  private readonly logger = new Logger('Health');

  constructor(private readonly db: HealthRepository) {}

  @Get('health')
  health() {
    return { status: 'ok' };
  }

  /** Ready when Postgres answers; 503 otherwise. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) response: Response) {
    try {
      await this.db.ping();
      return { status: 'ok', database: 'ok' };
    } catch (error) {
      // The reason goes to the log; the probe's answer carries no internal error text.
      this.logger.warn(`readiness: database check failed: ${(error as Error).message}`);
      response.status(HttpStatus.SERVICE_UNAVAILABLE);
      return { status: 'unavailable', database: 'unavailable' };
    }
  }
}
