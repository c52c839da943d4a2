import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { Histogram } from 'prom-client';
import { HealthRepository } from '#db';
import { AppMetrics } from '#observability';
import { ApiQueuesService } from '../queues/api-queues.service.js';

/**
 * The API's prom-client registry: request durations by route and status, plus the shared process,
 * database, dependency and queue metrics (AppMetrics).
 */
@Injectable()
export class ApiMetricsService implements OnModuleInit {
  private readonly app = new AppMetrics();
  readonly registry = this.app.registry;
  private readonly requests = new Histogram({
    name: 'sck_api_request_duration_seconds',
    help: 'HTTP request duration, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  constructor(
    private readonly db: HealthRepository,
    private readonly queues: ApiQueuesService,
  ) {}

  onModuleInit(): void {
    this.app.watchDatabase(this.db);
    this.app.watchQueues(this.queues.all);
    const target = this.queues.target;
    if (target.kind === 'redis') this.app.checkDependency('redis', () => target.connection.ping());
  }

  /**
   * Express middleware timing every request. The route label is the matched pattern
   * (`/v0/devices/:id`), never the raw path, so ids do not multiply the series; requests that
   * match no route share `unmatched`.
   */
  middleware() {
    return (req: Request, res: Response, next: NextFunction): void => {
      const end = this.requests.startTimer();
      res.once('finish', () => {
        const route = req.route as { path?: string } | undefined;
        end({
          method: req.method,
          route: route?.path ? `${req.baseUrl}${route.path}` : 'unmatched',
          status: String(res.statusCode),
        });
      });
      next();
    };
  }
}
