import 'reflect-metadata';
import type { Server } from 'node:net';
import { type INestApplication, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type ApiConfig, logLevelsUpTo } from '../../../libs/config/src/index.js';
import { ApiModule } from './api.module.js';
import { corsOptions } from './common/cors.js';
import { serveOpenApi } from './openapi.js';

export interface RunningApi {
  app: INestApplication;
  port: number;
}

export async function startApi(config: ApiConfig): Promise<RunningApi> {
  const app = await NestFactory.create(ApiModule.forRoot(config), {
    logger: logLevelsUpTo(config.LOG_LEVEL),
    abortOnError: false,
  });
  app.enableCors(corsOptions(config.CORS_ORIGINS));
  serveOpenApi(app);
  await app.listen(config.PORT, config.HOST);
  const { port } = (app.getHttpServer() as Server).address() as { port: number };
  new Logger('Api').log(`REST API on http://${config.HOST}:${port}`);
  return { app, port };
}
