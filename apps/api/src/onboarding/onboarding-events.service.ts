import { Injectable } from '@nestjs/common';
import { OnboardingRepository, OrphanHandshakeListener } from '#db';
import { InvalidOnboardingSessionError } from './onboarding-session.js';

/** Where the stream writes to: one server-sent event at a time. */
export interface EventSink {
  send(event: string, data: unknown): void;
  onClose(callback: () => void): void;
}

/**
 * `token-received` for an onboarding session, from the ingestor's NOTIFY: at once when the kit
 * was already heard, else when it is.
 */
@Injectable()
export class OnboardingEventsService {
  constructor(
    private readonly onboarding: OnboardingRepository,
    private readonly listener: OrphanHandshakeListener,
  ) {}

  /** Throws InvalidOnboardingSessionError before anything is written when the session is unknown. */
  async stream(session: string, open: () => EventSink): Promise<void> {
    const before = await this.onboarding.findOrphan(session);
    if (!before) throw new InvalidOnboardingSessionError();
    const sink = open();
    let done = false;
    const received = (token: string) => {
      if (done) return;
      done = true;
      unsubscribe();
      // The stream stays open: an EventSource would reconnect at once after an end.
      sink.send('token-received', { device_token: token });
    };
    let unsubscribe = () => undefined as void;
    sink.onClose(() => {
      done = true;
      unsubscribe();
    });
    // Subscribe first, then read the flag: a handshake between the two is seen either way.
    unsubscribe = await this.listener.subscribe(session, (n) => received(n.device_token));
    if (done) {
      unsubscribe();
      return;
    }
    const now = await this.onboarding.findOrphan(session);
    if (now?.deviceHandshake) received(now.deviceToken);
  }
}
