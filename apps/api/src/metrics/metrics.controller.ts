import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import type { Response } from 'express';
import { ApiMetricsService } from './api-metrics.service.js';

/** Prometheus scrapes this; not rate limited, as the probes. */
@ApiExcludeController()
@SkipThrottle()
@Controller()
export class MetricsController {
  constructor(private readonly metrics: ApiMetricsService) {}

  @Get('metrics')
  async metricsText(@Res({ passthrough: true }) res: Response): Promise<string> {
    res.setHeader('Content-Type', this.metrics.registry.contentType);
    return this.metrics.registry.metrics();
  }
}
