import { Injectable, Logger } from '@nestjs/common';
import { DevicesRepository, ForwardingRepository } from '#db';
import { forwardTopic } from '#domain';
import { FILTERED, presentDevice } from '#presenters';
import type { ForwardBatchJob } from '#queues';
import { LivePublisherAdapter } from './live-publisher.adapter.js';

/**
 * Publishes one forwarded batch: the device JSON as its owner sees it in GET /v0/devices/:id
 * (device token filtered: tokens never leave the service), each sensor carrying the batch's
 * readings, on /forward/<forwarding token>/device/<id>/readings at QoS 1.
 */
@Injectable()
export class ForwardService {
  private readonly logger = new Logger('Forward');

  constructor(
    private readonly forwarding: ForwardingRepository,
    private readonly devices: DevicesRepository,
    private readonly publisher: LivePublisherAdapter,
  ) {}

  /** Throws BrokerUnavailableError while the broker is away (the job is retried). */
  async forward(job: ForwardBatchJob): Promise<'published' | 'not_forwarding'> {
    const target = await this.forwarding.findForwardingTarget(job.deviceId);
    const device = target && (await this.devices.findDevice(job.deviceId));
    if (!target || !device) {
      this.logger.debug(`device ${job.deviceId} no longer forwards; batch dropped`);
      return 'not_forwarding';
    }
    const owner = target.owner;
    const [sensors, ownerDevices] = await Promise.all([
      this.devices.findLatestSensorValues([device.id]),
      this.devices.findOwnerDeviceIds([owner.id], { id: owner.id, isAdmin: owner.role === 'admin' }),
    ]);
    const json = presentDevice(device, sensors, owner, Date.now(), ownerDevices.get(owner.id) ?? []);
    const payload = {
      ...json,
      device_token: FILTERED,
      data: {
        ...json.data,
        sensors: json.data.sensors.map((sensor) => ({
          ...sensor,
          readings: job.readings
            .filter((r) => r.sensorId === sensor.id)
            .sort((a, b) => a.recordedAt.localeCompare(b.recordedAt))
            .map((r) => ({ timestamp: r.recordedAt, value: r.value })),
        })),
      },
    };
    await this.publisher.publish(forwardTopic(target.forwardingToken, device.id), JSON.stringify(payload));
    return 'published';
  }
}
