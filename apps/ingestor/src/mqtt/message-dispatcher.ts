import type { Logger } from '@nestjs/common';
import type { MessageHandler } from '@nestjs/microservices';
import type { IPublishPacket } from 'mqtt';
import { isObservable, lastValueFrom } from 'rxjs';
import { routeTopic } from '#domain';
import { MqttContext, type MqttMessage, UNROUTABLE } from './mqtt-message.js';

interface MessageGroup {
  messages: MqttMessage[];
  outcomes: { resolve: () => void; reject: (error: unknown) => void }[];
}

/**
 * Hands messages to the ingestor's handlers. Handlers take the messages of one turn of the event
 * loop together (all members, one call per pattern): Nest's per-call dispatch (context, pipes,
 * guards, interceptors, exception zone) is then paid once per group, not once per message.
 */
export class MessageDispatcher {
  /**
   * Handlers by pattern. Nest's lookup JSON.parses the pattern (throwing for a plain string) on
   * every call; handlers are all registered before listen(), so one lookup per pattern suffices.
   */
  private readonly handlers = new Map<string, MessageHandler | null>();
  /** Messages received in this turn of the event loop, by pattern, waiting for their handler. */
  private readonly groups = new Map<string, MessageGroup>();
  private deliveryScheduled = false;

  constructor(
    private readonly topicPrefixes: string[],
    private readonly lookup: (pattern: string) => MessageHandler | null,
    private readonly logger: Logger,
  ) {}

  /**
   * Queues the message for its handler; the promise settles with the message's own outcome.
   * `retain` lets the handler report what it keeps of the message once decoded.
   */
  dispatch(
    member: number,
    packet: IPublishPacket,
    retain: (bytes: number) => void = () => undefined,
  ): Promise<void> {
    const route = routeTopic(packet.topic, this.topicPrefixes);
    const message: MqttMessage = {
      topic: packet.topic,
      route,
      payload: typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload,
      qos: packet.qos,
      dup: packet.dup,
      receivedAt: new Date(),
      member,
      retain,
    };
    const pattern = route ? route.kind : UNROUTABLE;
    return new Promise<void>((resolve, reject) => {
      let group = this.groups.get(pattern);
      if (!group) {
        group = { messages: [], outcomes: [] };
        this.groups.set(pattern, group);
      }
      group.messages.push(message);
      group.outcomes.push({ resolve, reject });
      if (!this.deliveryScheduled) {
        this.deliveryScheduled = true;
        setImmediate(() => this.deliverGroups());
      }
    });
  }

  private deliverGroups(): void {
    this.deliveryScheduled = false;
    const groups = [...this.groups];
    this.groups.clear();
    for (const [pattern, group] of groups) void this.deliver(pattern, group);
  }

  /** Hands one pattern's messages to its handler; settles each message with its own outcome. */
  private async deliver(pattern: string, { messages, outcomes }: MessageGroup): Promise<void> {
    let handler = this.handlers.get(pattern);
    if (handler === undefined) {
      handler = this.lookup(pattern);
      this.handlers.set(pattern, handler);
    }
    if (!handler) {
      this.logger.error(`no handler for "${pattern}"; ${messages.length} message(s) acknowledged unhandled`);
      for (const outcome of outcomes) outcome.resolve();
      return;
    }
    try {
      let result: unknown = await handler(messages, new MqttContext([pattern]));
      if (isObservable(result)) result = await lastValueFrom(result, { defaultValue: undefined });
      if (!Array.isArray(result) || result.length !== messages.length) {
        throw new Error(`the handler of "${pattern}" must return one outcome per message`);
      }
      result.forEach((r, i) => {
        Promise.resolve(r).then(() => outcomes[i].resolve(), outcomes[i].reject);
      });
    } catch (error) {
      for (const outcome of outcomes) outcome.reject(error);
    }
  }
}
