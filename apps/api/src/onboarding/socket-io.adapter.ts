import type { INestApplication } from '@nestjs/common';
import { IoAdapter } from '@nestjs/platform-socket.io';
import type { Server, ServerOptions } from 'socket.io';
import type { ApiConfig } from '#config';
import { corsOptions } from '../common/cors.js';

/**
 * socket.io on the API's HTTP server, with the API's CORS origins. `allowEIO3` admits socket.io 2
 * clients (Engine.IO 3), the version the Smart Citizen setup app ships.
 */
export class ApiSocketIoAdapter extends IoAdapter {
  constructor(
    app: INestApplication,
    private readonly origins: ApiConfig['CORS_ORIGINS'],
  ) {
    super(app);
  }

  override createIOServer(port: number, options?: ServerOptions): Server {
    const cors = corsOptions(this.origins);
    return super.createIOServer(port, {
      ...options,
      allowEIO3: true,
      serveClient: false,
      cors: { origin: cors.origin as never, credentials: true },
    } as ServerOptions);
  }
}
