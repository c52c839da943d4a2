import { Body, Controller, Headers, HttpCode, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiError } from '../common/api-error.js';
import { BrokerAclBody, BrokerAuthBody } from './broker-auth.dto.js';
import { BrokerAuthService } from './broker-auth.service.js';

/**
 * EMQX's HTTP authenticator and authorizer (docker-compose.yml, docs/security.md). Not part of the
 * public API: it answers only with the shared secret header, and not at all without
 * BROKER_AUTH_SECRET. Any answer but 200 counts as "ignore" in EMQX, which the compose file turns
 * into a refusal. Not rate limited: every request comes from the broker.
 */
@ApiExcludeController()
@SkipThrottle()
@Controller('v0/broker')
export class BrokerAuthController {
  constructor(private readonly broker: BrokerAuthService) {}

  @Post('auth')
  @HttpCode(200)
  auth(@Headers('x-broker-secret') secret: string | undefined, @Body() body: BrokerAuthBody) {
    this.check(secret);
    return this.broker.authenticate(body);
  }

  @Post('acl')
  @HttpCode(200)
  acl(@Headers('x-broker-secret') secret: string | undefined, @Body() body: BrokerAclBody) {
    this.check(secret);
    return this.broker.authorize(body);
  }

  private check(secret: string | undefined): void {
    const verdict = this.broker.accepts(secret);
    if (verdict === 'disabled') throw ApiError.notFound('Not found');
    if (verdict === 'wrong_secret') throw ApiError.forbidden('Wrong or missing X-Broker-Secret header');
  }
}
