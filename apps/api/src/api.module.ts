import { type DynamicModule, Module } from '@nestjs/common';
import type { ApiConfig } from '../../../libs/config/src/index.js';
import { DbModule } from '../../../libs/db/src/index.js';
import { HealthController } from './health/health.controller.js';

export const API_CONFIG = Symbol('API_CONFIG');

@Module({})
export class ApiModule {
  static forRoot(config: ApiConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [DbModule.forRoot({ url: config.DATABASE_URL, poolSize: config.DATABASE_POOL_SIZE })],
      controllers: [HealthController],
      providers: [{ provide: API_CONFIG, useValue: config }],
    };
  }
}
