import { createHash, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ApiConfig } from '#config';
import { type BrokerPolicy, authenticateClient, mayPublish, maySubscribe } from '#domain';
import { API_CONFIG } from '../api.tokens.js';
import type { BrokerAclBody, BrokerAuthBody, BrokerVerdictResponse } from './broker-auth.dto.js';

/**
 * The broker rules (libs/domain broker-rules.ts) for EMQX's HTTP authn/authz: EMQX asks here on
 * every CONNECT, and on PUBLISH and SUBSCRIBE (its authorization cache keeps the answers).
 */
@Injectable()
export class BrokerAuthService {
  private readonly logger = new Logger('BrokerAuth');
  private readonly policy: BrokerPolicy | null;

  constructor(@Inject(API_CONFIG) config: ApiConfig) {
    this.policy = config.BROKER_AUTH_SECRET
      ? {
          ingestor: {
            username: config.MQTT_USERNAME,
            password: config.MQTT_PASSWORD ?? '',
            clientIdPrefix: config.BROKER_INGESTOR_CLIENT_ID_PREFIX,
          },
        }
      : null;
    this.secret = config.BROKER_AUTH_SECRET ?? null;
  }

  private readonly secret: string | null;

  /** The endpoints exist only when BROKER_AUTH_SECRET is set, and answer only to that secret. */
  accepts(secret: string | undefined): 'ok' | 'disabled' | 'wrong_secret' {
    if (!this.secret || !this.policy) return 'disabled';
    const digest = (text: string) => createHash('sha256').update(text).digest();
    return secret !== undefined && timingSafeEqual(digest(secret), digest(this.secret))
      ? 'ok'
      : 'wrong_secret';
  }

  authenticate(body: BrokerAuthBody): BrokerVerdictResponse {
    const verdict = authenticateClient(this.requirePolicy(), {
      clientId: body.clientid,
      username: body.username,
      password: body.password,
    });
    if (verdict.allowed) return { result: 'allow', is_superuser: false };
    this.logger.warn(`refused CONNECT of ${body.clientid}: ${verdict.reason}`);
    return { result: 'deny', is_superuser: false };
  }

  authorize(body: BrokerAclBody): BrokerVerdictResponse {
    const policy = this.requirePolicy();
    // EMQX asks only about clients its authenticator admitted: a username there is the ingestor's.
    const role = body.username && body.username === policy.ingestor.username ? 'ingestor' : 'device';
    const allowed =
      body.action === 'publish'
        ? mayPublish(role, body.clientid, body.topic)
        : maySubscribe(role, body.topic);
    if (!allowed) this.logger.warn(`refused ${body.action} of ${body.clientid} to ${body.topic}`);
    return { result: allowed ? 'allow' : 'deny' };
  }

  private requirePolicy(): BrokerPolicy {
    if (!this.policy) throw new Error('BROKER_AUTH_SECRET is not set');
    return this.policy;
  }
}
