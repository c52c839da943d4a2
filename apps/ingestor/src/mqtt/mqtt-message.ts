import { BaseRpcContext } from '@nestjs/microservices';
import type { RoutedTopic } from '#domain';

/**
 * One message as the ingestor's @EventPattern handlers receive it: the payload untouched, plus its
 * origin. A handler receives the messages of one pattern that arrived in the same turn of the event
 * loop, as an array, and returns one outcome per message, in order (a promise that settles once the
 * message is stored, recorded, parked or spilled); the transport acknowledges each message on its
 * own outcome.
 */
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
  /** The pool member (connection) it arrived on. */
  member: number;
  /**
   * Tells the pool how many bytes the handler keeps of this message until it settles (e.g. a
   * 1 KB prefix of a rejected 250 KB payload), so its in-flight budget counts what is really held.
   */
  retain: (bytes: number) => void;
}

/** Patterns the transport dispatches to: one per message kind, plus `unroutable`. */
export const UNROUTABLE = 'unroutable';

/** The context Nest hands a handler beside its payload: the pattern the messages were routed to. */
export class MqttContext extends BaseRpcContext<[pattern: string]> {}
