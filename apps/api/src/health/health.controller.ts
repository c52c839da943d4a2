import { Controller, Get, HttpException, HttpStatus } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { PrismaService } from '../../../../libs/db/src/index.js';

/** Probes are not rate limited: orchestrators poll them. */
@ApiExcludeController()
@SkipThrottle()
@Controller()
export class HealthController {
  constructor(private readonly db: PrismaService) {}

  @Get('health')
  health() {
    return { status: 'ok' };
  }

  /** Ready when Postgres answers. */
  @Get('ready')
  async ready() {
    try {
      await this.db.client.$queryRaw`SELECT 1`;
      return { status: 'ok', database: 'ok' };
    } catch (error) {
      throw new HttpException(
        { status: 'unavailable', database: (error as Error).message },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
  }
}
