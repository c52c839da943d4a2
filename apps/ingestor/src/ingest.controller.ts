import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { type MqttMessage, UNROUTABLE } from './mqtt/mqtt-message.js';
import { IngestMetrics } from './pipeline/ingest.metrics.js';
import { ReadingsService } from './pipeline/readings.service.js';

/**
 * The message kinds of PROTOCOL.md, one handler each. A handler's promise settles when the message
 * is safely stored, recorded, parked or spilled; the MQTT transport acknowledges it only then.
 */
@Controller()
export class IngestController {
  constructor(
    private readonly readings: ReadingsService,
    private readonly metrics: IngestMetrics,
  ) {}

  @EventPattern('readings')
  onReadings(@Payload() message: MqttMessage): Promise<void> {
    this.metrics.messageTaken('readings');
    return this.readings.ingest(message, 'readings');
  }

  @EventPattern('raw')
  onRawReadings(@Payload() message: MqttMessage): Promise<void> {
    this.metrics.messageTaken('raw');
    return this.readings.ingest(message, 'raw');
  }

  /** Sets the device's hello time. */
  @EventPattern('hello')
  onHello(@Payload() message: MqttMessage): Promise<void> {
    this.metrics.messageTaken('hello');
    return this.readings.ingest(message, 'hello');
  }

  /** Replaces the device's hardware info. */
  @EventPattern('info')
  onInfo(@Payload() message: MqttMessage): Promise<void> {
    this.metrics.messageTaken('info');
    return this.readings.ingest(message, 'info');
  }

  /** Stores a factory-test report in device_inventory. */
  @EventPattern('inventory')
  onInventory(@Payload() message: MqttMessage): Promise<void> {
    this.metrics.messageTaken('inventory');
    return this.readings.ingest(message, 'inventory');
  }

  @EventPattern(UNROUTABLE)
  onUnroutable(@Payload() message: MqttMessage): Promise<void> {
    this.metrics.messageTaken(UNROUTABLE);
    return this.readings.ingest(message, 'unroutable');
  }
}
