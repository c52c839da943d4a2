import 'reflect-metadata';
import type { Server } from 'node:net';
import { type INestApplication, Logger } from '@nestjs/common';
import { Logger as PinoLogger } from 'nestjs-pino';
import { NestFactory } from '@nestjs/core';
import type { ApiConfig } from '#config';
import type { Express } from 'express';
import { ApiModule } from './api.module.js';
import { PUBLIC_URL_LOCAL } from './common/pagination.js';
import { corsOptions } from './common/cors.js';
import { ApiMetricsService } from './metrics/api-metrics.service.js';
import { ApiSocketIoAdapter } from './onboarding/socket-io.adapter.js';
import { serveOpenApi } from './openapi.js';

export interface RunningApi {
  app: INestApplication;
  port: number;
}

export async function startApi(config: ApiConfig): Promise<RunningApi> {
  const app = await NestFactory.create(ApiModule.forRoot(config), {
    bufferLogs: true,
    abortOnError: false,
  });
  app.useLogger(app.get(PinoLogger));
  // Before the routes (registered by listen), so every request is timed, refused ones included.
  app.use(app.get(ApiMetricsService).middleware());
  (app.getHttpAdapter().getInstance() as Express).locals[PUBLIC_URL_LOCAL] = config.PUBLIC_URL;
  app.enableCors(corsOptions(config.CORS_ORIGINS));
  // socket.io (the setup app's token-received) on the same server, at /socket.io.
  app.useWebSocketAdapter(new ApiSocketIoAdapter(app, config.CORS_ORIGINS));
  serveOpenApi(app);
  await app.listen(config.PORT, config.HOST);
  const { port } = (app.getHttpServer() as Server).address() as { port: number };
  new Logger('Api').log(`REST API on http://${config.HOST}:${port}`);
  return { app, port };
}
