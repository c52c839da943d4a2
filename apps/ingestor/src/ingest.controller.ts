import { Controller, Logger } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type MqttMessage, UNROUTABLE } from './mqtt/mqtt-message.js';
import { IngestMetrics } from './pipeline/ingest.metrics.js';
import { ReadingsService } from './pipeline/readings.service.js';

/**
 * The message kinds of PROTOCOL.md, one handler each. A handler's promise settles when the message
 * is safely stored or recorded; the MQTT transport acknowledges it only then.
 */
@Controller()
export class IngestController {
  private readonly logger = new Logger(IngestController.name);

  constructor(
    private readonly readings: ReadingsService,
    private readonly metrics: IngestMetrics,
  ) {}

  @EventPattern('readings')
  onReadings(@Payload() message: MqttMessage): Promise<void> {
    this.metrics.messageTaken('readings');
    return this.readings.ingest(message, 'json');
  }

  @EventPattern('raw')
  onRawReadings(@Payload() message: MqttMessage): Promise<void> {
    this.metrics.messageTaken('raw');
    return this.readings.ingest(message, 'raw');
  }

  // hello, info and inventory are received and acknowledged; storing them is the device
  // lifecycle's work (hello time, hardware info, inventory reports).
  @EventPattern('hello')
  onHello(@Payload() message: MqttMessage): void {
    this.metrics.messageTaken('hello');
    this.logger.debug(`hello from ${message.route?.token ?? '?'}`);
  }

  @EventPattern('info')
  onInfo(@Payload() message: MqttMessage): void {
    this.metrics.messageTaken('info');
    this.logger.debug(`info from ${message.route?.token ?? '?'} (${message.payload.length} bytes)`);
  }

  @EventPattern('inventory')
  onInventory(@Payload() message: MqttMessage): void {
    this.metrics.messageTaken('inventory');
    this.logger.debug(`inventory report (${message.payload.length} bytes)`);
  }

  @EventPattern(UNROUTABLE)
  onUnroutable(@Payload() message: MqttMessage): Promise<void> {
    this.metrics.messageTaken(UNROUTABLE);
    return this.readings.reject(message, {
      reason: 'unknown_topic',
      message: `topic "${message.topic.slice(0, 200)}" is not part of the device protocol`,
    });
  }
}
