import { Injectable } from '@nestjs/common';
import {
  type ApiUser,
  FORWARDING_ROLES,
  ForwardingRepository,
  type UserForwarding,
} from '../../../../libs/db/src/index.js';
import { forwardTokenIn, forwardTopic } from '../../../../libs/domain/src/index.js';
import { ApiError } from '../common/api-error.js';

@Injectable()
export class ForwardService {
  constructor(private readonly forwarding: ForwardingRepository) {}

  /**
   * The broker's question "may `username` use `topic`?": allow exactly when the topic carries
   * `forward/<token>/`, a user has that forwarding token and that user's forwarding username is
   * `username`.
   */
  async authorize(topic: string, username: string): Promise<'allow' | 'deny'> {
    const token = forwardTokenIn(topic);
    if (token === null || username === '') return 'deny';
    return (await this.forwarding.forwardingUserExists(token, username)) ? 'allow' : 'deny';
  }

  async forwardingOf(viewer: ApiUser) {
    return present(await this.forwarding.findUserForwarding(viewer.id));
  }

  async setForwardingUsername(viewer: ApiUser, username: string | null) {
    if (!FORWARDING_ROLES.includes(viewer.role)) {
      throw ApiError.forbidden('Only researchers and admins forward readings');
    }
    return present(await this.forwarding.setForwardingUsername(viewer.id, username));
  }
}

function present(forwarding: UserForwarding) {
  return {
    forwarding_token: forwarding.forwardingToken,
    forwarding_username: forwarding.forwardingUsername,
    topic: forwarding.forwardingToken ? forwardTopic(forwarding.forwardingToken, '+') : null,
  };
}
