import { Inject, Logger } from '@nestjs/common';
import {
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  type OnGatewayInit,
  WebSocketGateway,
} from '@nestjs/websockets';
import type { Server, Socket } from 'socket.io';
import type { ApiConfig } from '#config';
import { OnboardingRepository, OrphanHandshakeListener } from '#db';
import { API_CONFIG } from '../api.tokens.js';
import { OnboardingEventsService } from './onboarding-events.service.js';
import { onboardingSessionOf } from './onboarding-session.js';

/** The room of the clients that get every kit's `token-received`. */
const EVERY_KIT = 'every-kit';

interface SocketData {
  /** The onboarding session the client named; unset for an every-kit client. */
  session?: string;
  /** Counted among the every-kit clients. */
  everyKit?: boolean;
}

/**
 * socket.io at the API's own address (path /socket.io), the channel the Smart Citizen setup app
 * listens on for `token-received` `{device_token}`, fed by the same PostgreSQL notification as the
 * SSE stream. A client that names its session (query or auth `onboarding_session`, or the
 * OnboardingSession header) gets its own kit's event, at once if the kit was already heard. A
 * client that names none gets every kit's event as it happens (the setup app's way: it picks its
 * own token), unless ONBOARDING_SOCKET_BROADCAST is false.
 */
@WebSocketGateway()
export class OnboardingGateway implements OnGatewayInit<Server>, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger('OnboardingSocket');
  private everyKitClients = 0;
  private everyKitSubscription: Promise<() => void> | null = null;

  constructor(
    private readonly events: OnboardingEventsService,
    private readonly onboarding: OnboardingRepository,
    private readonly listener: OrphanHandshakeListener,
    @Inject(API_CONFIG) private readonly config: ApiConfig,
  ) {}

  /** Refuses a bad or unknown session before the client counts as connected (its connect_error). */
  afterInit(server: Server): void {
    server.use((socket, next) => {
      this.admit(server, socket).then(
        () => next(),
        (error: Error) => next(error),
      );
    });
  }

  private async admit(server: Server, socket: Socket): Promise<void> {
    const data = socket.data as SocketData;
    const { query, auth, headers } = socket.handshake;
    const named = query.onboarding_session ?? (auth as Record<string, unknown>).onboarding_session;
    if (named !== undefined || headers.onboardingsession !== undefined) {
      const session = invalidAsError(() => onboardingSessionOf(headers.onboardingsession, named));
      if (!(await this.onboarding.findOrphan(session))) throw new Error('Invalid OnboardingSession');
      data.session = session;
      return;
    }
    if (!this.config.ONBOARDING_SOCKET_BROADCAST) throw new Error('Invalid OnboardingSession');
    // LISTEN is in place before the client is told it is connected: it misses no event after that.
    data.everyKit = true;
    this.everyKitClients++;
    this.everyKitSubscription ??= this.listener.subscribeAll((notice) =>
      server.to(EVERY_KIT).emit('token-received', { device_token: notice.device_token }),
    );
    const subscription = this.everyKitSubscription;
    try {
      await subscription;
    } catch (error) {
      this.leaveEveryKit(data);
      if (this.everyKitSubscription === subscription) this.everyKitSubscription = null;
      this.logger.warn(`cannot listen for handshakes: ${(error as Error).message}`);
      throw new Error('Temporarily unavailable', { cause: error });
    }
  }

  async handleConnection(socket: Socket): Promise<void> {
    const data = socket.data as SocketData;
    if (data.session === undefined) {
      await socket.join(EVERY_KIT);
      return;
    }
    try {
      await this.events.stream(data.session, () => ({
        send: (event, payload) => socket.emit(event, payload),
        onClose: (callback) => (socket.disconnected ? callback() : socket.on('disconnect', callback)),
      }));
    } catch (error) {
      // The kit was registered (or its session expired) since the client was admitted.
      this.logger.debug(`socket for a session closed: ${(error as Error).message}`);
      socket.disconnect(true);
    }
  }

  handleDisconnect(socket: Socket): void {
    this.leaveEveryKit(socket.data as SocketData);
  }

  /** The last every-kit client gone, the subscription ends (LISTEN stays for others' use). */
  private leaveEveryKit(data: SocketData): void {
    if (!data.everyKit) return;
    data.everyKit = false;
    if (--this.everyKitClients > 0 || this.everyKitSubscription === null) return;
    const ending = this.everyKitSubscription;
    this.everyKitSubscription = null;
    ending.then(
      (unsubscribe) => unsubscribe(),
      () => undefined,
    );
  }
}

function invalidAsError<T>(read: () => T): T {
  try {
    return read();
  } catch {
    throw new Error('Invalid OnboardingSession');
  }
}
