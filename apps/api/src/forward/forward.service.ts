import { Injectable } from '@nestjs/common';
import { ForwardingRepository } from '#db';
import { forwardTokenIn } from '#domain';

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
}
