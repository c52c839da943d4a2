import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type MqttMessage, UNROUTABLE } from './mqtt/mqtt-message.js';
import { IngestMetrics } from './pipeline/ingest.metrics.js';
import type { EntryKind } from './pipeline/ingest-entry.js';
import { IngestService } from './pipeline/ingest.service.js';

/**
 * The message kinds of PROTOCOL.md, one handler each. A handler takes the messages of its kind that
 * arrived together and returns one promise per message, which settles when that message is safely
 * stored, recorded, parked or spilled; the MQTT transport acknowledges each message only then.
 */
@Controller()
export class IngestController {
  constructor(
    private readonly intake: IngestService,
    private readonly metrics: IngestMetrics,
  ) {}

  @EventPattern('readings')
  onReadings(@Payload() messages: MqttMessage[]): Promise<void>[] {
    return this.ingest(messages, 'readings');
  }

  @EventPattern('raw')
  onRawReadings(@Payload() messages: MqttMessage[]): Promise<void>[] {
    return this.ingest(messages, 'raw');
  }

  /** Sets the device's hello time. */
  @EventPattern('hello')
  onHello(@Payload() messages: MqttMessage[]): Promise<void>[] {
    return this.ingest(messages, 'hello');
  }

  /** Replaces the device's hardware info. */
  @EventPattern('info')
  onInfo(@Payload() messages: MqttMessage[]): Promise<void>[] {
    return this.ingest(messages, 'info');
  }

  /** Stores a factory-test report in device_inventory. */
  @EventPattern('inventory')
  onInventory(@Payload() messages: MqttMessage[]): Promise<void>[] {
    return this.ingest(messages, 'inventory');
  }

  @EventPattern(UNROUTABLE)
  onUnroutable(@Payload() messages: MqttMessage[]): Promise<void>[] {
    return this.ingest(messages, 'unroutable');
  }

  private ingest(messages: MqttMessage[], kind: EntryKind): Promise<void>[] {
    this.metrics.messagesTaken(kind, messages.length);
    // One message's failure is its own: a throw fails that message, never the others of the call.
    return messages.map((message) => {
      try {
        return this.intake.ingest(message, kind);
      } catch (error) {
        return Promise.reject(error instanceof Error ? error : new Error(String(error)));
      }
    });
  }
}
