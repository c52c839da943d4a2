import type { Response } from 'express';
import { type LiveBatch, type LivePosition, comparePositions } from '#db';
import { liveEventId, liveReadingsMessage } from '#domain';

/** What one stream wants: one device or every public one, optionally one sensor. */
export interface StreamFilter {
  deviceId?: number;
  sensorId?: number;
  /** Only batches of devices that are public right now (guests, and the all-devices stream). */
  publicOnly: boolean;
}

/**
 * One server-sent events response. It has seen every batch up to `position` (delivered it or
 * skipped it by its filter). It is `live` while the hub may write to it directly; when its socket
 * pushes back (res.write returns false) it leaves live mode, and once drained reads what it missed
 * from the outbox itself, so the memory it holds is one page at most, whatever its speed.
 */
export class StreamClient {
  live = false;
  closed = false;

  constructor(
    private readonly response: Response,
    readonly filter: StreamFilter,
    public position: LivePosition,
  ) {}

  /** Writes `batch` if it is after the position and passes the filter. False: the socket is full. */
  deliver(batch: LiveBatch): boolean {
    if (comparePositions(batch, this.position) <= 0) return true;
    this.position = { txId: batch.txId, deviceId: batch.deviceId };
    if (!this.wants(batch)) return true;
    const message = liveReadingsMessage(batch, this.filter.sensorId);
    if (message.readings.length === 0) return true;
    return this.write(`id: ${liveEventId(batch)}\ndata: ${JSON.stringify(message)}\n\n`);
  }

  /** Tells the client that retention already deleted batches after its Last-Event-ID. */
  gap(resumedFrom: LivePosition): void {
    const data = {
      message:
        'Batches after Last-Event-ID are past the retention window; resuming after the oldest kept one.',
      resumed_after: liveEventId(resumedFrom),
    };
    this.write(`event: gap\ndata: ${JSON.stringify(data)}\n\n`);
  }

  write(text: string): boolean {
    if (this.closed) return true;
    return this.response.write(text);
  }

  /** Resolves when the socket has room again (or the client left). */
  drained(): Promise<void> {
    if (this.closed || !this.response.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.response.off('drain', done);
        this.response.off('close', done);
        resolve();
      };
      this.response.on('drain', done);
      this.response.on('close', done);
    });
  }

  end(): void {
    this.closed = true;
    this.response.end();
  }

  private wants(batch: LiveBatch): boolean {
    if (this.filter.deviceId !== undefined && batch.deviceId !== this.filter.deviceId) return false;
    return !(this.filter.publicOnly && batch.isPrivate);
  }
}
