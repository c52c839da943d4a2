import { BaseRpcContext } from '@nestjs/microservices';
import type { RoutedTopic } from '../../../../libs/domain/src/index.js';

/** What an @EventPattern handler of the ingestor receives: the payload untouched, plus its origin. */
export interface MqttMessage {
  /** The topic as the broker delivered it. */
  topic: string;
  /** Null when the topic is not part of the protocol (pattern `unroutable`). */
  route: RoutedTopic | null;
  payload: Buffer;
  qos: 0 | 1 | 2;
  /** Set when the broker redelivers a message it sent before. */
  dup: boolean;
  receivedAt: Date;
}

/** Patterns the transport dispatches to: one per message kind, plus `unroutable`. */
export const UNROUTABLE = 'unroutable';

export class MqttContext extends BaseRpcContext<[member: number, topic: string]> {
  get member(): number {
    return this.args[0];
  }
}
