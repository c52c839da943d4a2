import { type DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE } from '@nestjs/core';
import { ThrottlerGuard, ThrottlerModule } from '@nestjs/throttler';
import { ExpressAdapter } from '@bull-board/express';
import { BullBoardModule } from '@bull-board/nestjs';
import { LoggerModule } from 'nestjs-pino';
import type { ApiConfig } from '#config';
import { DbModule } from '#db';
import { loggerParams } from '#observability';
import { API_CONFIG } from './api.tokens.js';
import { AuthGuard } from './auth/auth.guard.js';
import { ADMIN_QUEUES_ROUTE } from './admin/admin.routes.js';
import { adminOnly } from './admin/admin-only.middleware.js';
import { QueueBoardService } from './admin/queue-board.service.js';
import { AuthModule } from './auth/auth.module.js';
import { AuthService } from './auth/auth.service.js';
import { BrokerAuthController } from './broker/broker-auth.controller.js';
import { BrokerAuthService } from './broker/broker-auth.service.js';
import { ApiExceptionFilter } from './common/api-exception.filter.js';
import { ApiValidationPipe } from './common/api-validation.pipe.js';
import { DevicesController } from './devices/devices.controller.js';
import { DevicesService } from './devices/devices.service.js';
import { ReplayParkedNotifier } from './devices/replay-parked.notifier.js';
import { HealthController } from './health/health.controller.js';
import { ApiMetricsService } from './metrics/api-metrics.service.js';
import { MetricsController } from './metrics/metrics.controller.js';
import { ApiQueuesService } from './queues/api-queues.service.js';
import { ReadingsController } from './readings/readings.controller.js';
import { ReadingsService } from './readings/readings.service.js';
import { RollupGate } from './readings/rollup-gate.js';
import { SensorsController } from './sensors/sensors.controller.js';
import { SensorsService } from './sensors/sensors.service.js';
import { ForwardController } from './forward/forward.controller.js';
import { ForwardService } from './forward/forward.service.js';
import { LiveStreamHub } from './stream/live-stream.hub.js';
import { StreamController } from './stream/stream.controller.js';
import { StreamService } from './stream/stream.service.js';
import { ComponentsController } from './components/components.controller.js';
import { MeasurementsController } from './measurements/measurements.controller.js';
import { SearchController } from './search/search.controller.js';
import { SearchService } from './search/search.service.js';
import { UsersController } from './users/users.controller.js';
import { UsersService } from './users/users.service.js';
import { CsvExportService } from './device-data/csv-export.service.js';
import { CsvImportService } from './device-data/csv-import.service.js';
import { DeviceDataController } from './device-data/device-data.controller.js';
import { ReadingRulesProvider } from './device-data/reading-rules.provider.js';
import { ReadingsUploadService } from './device-data/readings-upload.service.js';
import { WorldMapController } from './world-map/world-map.controller.js';
import { WorldMapService } from './world-map/world-map.service.js';
import { AccountsController } from './accounts/accounts.controller.js';
import { AccountsService } from './accounts/accounts.service.js';
import { OnboardingController } from './onboarding/onboarding.controller.js';
import { OnboardingEventsService } from './onboarding/onboarding-events.service.js';
import { OnboardingService } from './onboarding/onboarding.service.js';
import { TagsController } from './onboarding/tags.controller.js';
import { OnboardingGateway } from './onboarding/onboarding.gateway.js';
import { PasswordResetsController } from './accounts/password-resets.controller.js';
import { PasswordResetsService } from './accounts/password-resets.service.js';
import { MailerService } from './mail/mailer.service.js';

export { API_CONFIG };

@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        LoggerModule.forRoot(loggerParams('api', config)),
        DbModule.forRoot({
          url: config.DATABASE_URL,
          poolSize: config.DATABASE_POOL_SIZE,
          statementTimeoutMs: config.API_STATEMENT_TIMEOUT_MS,
          parallelWorkersPerQuery: 0,
        }),
        AuthModule,
        // The queue dashboard (Bull Board), admins only; QueueBoardService adds the queues.
        BullBoardModule.forRootAsync({
          imports: [AuthModule],
          inject: [AuthService],
          useFactory: (auth: AuthService) => ({
            route: ADMIN_QUEUES_ROUTE,
            adapter: ExpressAdapter,
            middleware: adminOnly(auth, ADMIN_QUEUES_ROUTE),
          }),
        }),
        // Per client IP across all routes (the throttler's default counts per route), in memory:
        // each API replica counts its own clients.
        ThrottlerModule.forRoot({
          throttlers: [{ ttl: 60_000, limit: config.RATE_LIMIT_PER_MINUTE }],
          generateKey: (_context, tracker, throttler) => `${throttler}:${tracker}`,
        }),
      ],
      controllers: [
        HealthController,
        MetricsController,
        WorldMapController,
        StreamController,
        ForwardController,
        DevicesController,
        SensorsController,
        ReadingsController,
        MeasurementsController,
        ComponentsController,
        UsersController,
        SearchController,
        DeviceDataController,
        BrokerAuthController,
        AccountsController,
        OnboardingController,
        TagsController,
        PasswordResetsController,
      ],
      providers: [
        { provide: API_CONFIG, useValue: config },
        // Guards run in this order: count the request first, then authenticate it.
        { provide: APP_GUARD, useClass: ThrottlerGuard },
        { provide: APP_GUARD, useClass: AuthGuard },
        { provide: APP_PIPE, useClass: ApiValidationPipe },
        { provide: APP_FILTER, useValue: new ApiExceptionFilter(config) },
        BrokerAuthService,
        DevicesService,
        SensorsService,
        ReadingsService,
        WorldMapService,
        UsersService,
        SearchService,
        ReadingRulesProvider,
        ReadingsUploadService,
        CsvImportService,
        CsvExportService,
        ReplayParkedNotifier,
        ApiQueuesService,
        ApiMetricsService,
        QueueBoardService,
        {
          provide: RollupGate,
          useValue: new RollupGate(config.READINGS_MAX_CONCURRENT, 4 * config.READINGS_MAX_CONCURRENT),
        },
        LiveStreamHub,
        StreamService,
        ForwardService,
        AccountsService,
        OnboardingService,
        OnboardingEventsService,
        OnboardingGateway,
        MailerService,
        PasswordResetsService,
      ],
    };
  }
}
