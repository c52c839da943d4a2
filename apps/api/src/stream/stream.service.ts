import { Injectable } from '@nestjs/common';
import type { Request, Response } from 'express';
import { type ApiUser, type LivePosition, LiveOutboxRepository, comparePositions } from '#db';
import { parseLiveEventId } from '#domain';
import { ApiError } from '../common/api-error.js';
import { canManage } from '#presenters';
import { DevicesService } from '../devices/devices.service.js';
import { LiveStreamHub } from './live-stream.hub.js';
import { StreamClient, type StreamFilter } from './stream-client.js';

/** Seconds a refused client is asked to wait before trying again. */
const REFUSED_RETRY_AFTER_S = 10;

/** Opens server-sent event streams of stored readings (docs/live.md). */
@Injectable()
export class StreamService {
  constructor(
    private readonly hub: LiveStreamHub,
    private readonly outbox: LiveOutboxRepository,
    private readonly devices: DevicesService,
  ) {}

  /** One device's readings: public devices for everyone, private ones for their owner and admins. */
  async deviceStream(id: number, viewer: ApiUser | null, request: Request, response: Response) {
    this.checkCapacity(response);
    const device = await this.devices.findReadableDevice(id, viewer);
    await this.open({ deviceId: id, publicOnly: !canManage(viewer, device) }, request, response);
  }

  /** Every public device's readings, optionally of one sensor. */
  async publicStream(sensorId: number | undefined, request: Request, response: Response) {
    this.checkCapacity(response);
    await this.open({ publicOnly: true, ...(sensorId === undefined ? {} : { sensorId }) }, request, response);
  }

  private checkCapacity(response: Response): void {
    if (!this.hub.enabled)
      throw ApiError.unavailable('Live readings are switched off on this server (LIVE_ENABLED).');
    if (this.hub.full) {
      response.setHeader('Retry-After', String(REFUSED_RETRY_AFTER_S));
      throw ApiError.unavailable(
        `This server already serves ${this.hub.size} streams, its limit; retry in ${REFUSED_RETRY_AFTER_S} s.`,
      );
    }
  }

  private async open(filter: StreamFilter, request: Request, response: Response): Promise<void> {
    const lastEventId = request.header('last-event-id');
    let start: LivePosition;
    let gapAfter: LivePosition | null = null;
    if (lastEventId === undefined || lastEventId === '') {
      start = await this.hub.currentPosition();
    } else {
      const parsed = parseLiveEventId(lastEventId);
      if (!parsed) {
        throw ApiError.badRequest('Last-Event-ID must be an event id of this stream: <tx id>-<device id>.');
      }
      start = parsed;
      const pruned = await this.outbox.prunedThrough();
      if (pruned && comparePositions(start, pruned) < 0) {
        start = pruned;
        gapAfter = pruned;
      }
    }
    response.status(200);
    response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    response.setHeader('Cache-Control', 'no-cache, no-transform');
    response.setHeader('Connection', 'keep-alive');
    response.setHeader('X-Accel-Buffering', 'no');
    response.flushHeaders();
    const client = new StreamClient(response, filter, start);
    client.write('retry: 2000\n\n');
    if (gapAfter) client.gap(gapAfter);
    request.on('close', () => this.hub.remove(client));
    this.hub.add(client);
  }
}
