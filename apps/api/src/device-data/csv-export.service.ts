import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { Injectable } from '@nestjs/common';
import { type ApiUser, ReadingsExportRepository } from '#db';
import { ApiError } from '../common/api-error.js';
import { isoSeconds } from '#presenters';
import { DevicesService } from '../devices/devices.service.js';
import { sensorKey } from '#presenters';

/** Each query reads one day: memory holds one day of one device, whatever the range. */
const WINDOW_MS = 86_400_000;

/**
 * `GET /v0/devices/:id/readings.csv`: every reading of [from, to), one row per time and one
 * column per sensor, in the layout of the kit's SD card (short names, units, names, sensor ids),
 * so the file can be uploaded again. Written window by window, waiting for the client to drain.
 */
@Injectable()
export class CsvExportService {
  constructor(
    private readonly devices: DevicesService,
    private readonly exports: ReadingsExportRepository,
  ) {}

  /** The reference queues an archive and mails a link; the export streams at once, so: its link. */
  async archiveLink(deviceId: number, viewer: ApiUser | null) {
    await this.devices.findReadableDevice(deviceId, viewer);
    const url = `/v0/devices/${deviceId}/readings.csv`;
    return { id: 'ok', message: `The readings are at ${url}`, url, errors: null };
  }

  /** Checks access and the range before anything is written, so errors are still JSON. */
  async prepare(deviceId: number, range: { from?: Date; to?: Date }, viewer: ApiUser | null) {
    await this.devices.findReadableDevice(deviceId, viewer);
    const shape = await this.exports.findExportShape(deviceId);
    const from = range.from ?? shape.first ?? new Date(0);
    const to = range.to ?? (shape.last ? new Date(shape.last.getTime() + 1000) : new Date());
    if (from.getTime() >= to.getTime()) {
      throw ApiError.badRequest(`from (${isoSeconds(from)}) must be before to (${isoSeconds(to)})`);
    }
    // Windows before the first and after the last reading hold nothing: skip them.
    const start = Math.max(from.getTime(), shape.first?.getTime() ?? to.getTime());
    const end = Math.min(to.getTime(), shape.last ? shape.last.getTime() + 1000 : from.getTime());
    return { deviceId, columns: shape.columns, start, end };
  }

  async write(plan: Awaited<ReturnType<CsvExportService['prepare']>>, out: Writable): Promise<void> {
    const { columns } = plan;
    const position = new Map(columns.map((c, i) => [c.id, i]));
    const sensorIds = columns.map((c) => c.id);
    const header = [
      ['TIME', ...columns.map((c) => sensorKey(c.name))],
      ['ISO 8601 UTC', ...columns.map((c) => c.unit)],
      ['Time', ...columns.map((c) => c.name)],
      ['TIME', ...columns.map((c) => String(c.id))],
    ];
    await put(out, header.map((row) => row.map(cell).join(',')).join('\n') + '\n');
    for (let at = plan.start; at < plan.end; at += WINDOW_MS) {
      const rows = await this.exports.readWindow(
        plan.deviceId,
        sensorIds,
        new Date(at),
        new Date(Math.min(at + WINDOW_MS, plan.end)),
      );
      let text = '';
      let time = -1;
      let line: string[] = [];
      for (const r of rows) {
        if (r.at.getTime() !== time) {
          if (time !== -1) text += `${isoSeconds(new Date(time))},${line.join(',')}\n`;
          time = r.at.getTime();
          line = new Array<string>(columns.length).fill('');
        }
        line[position.get(r.sensorId)!] = String(r.value);
      }
      if (time !== -1) text += `${isoSeconds(new Date(time))},${line.join(',')}\n`;
      if (text) await put(out, text);
      if (out.destroyed) return;
    }
  }
}

/** A header cell: commas and quotes would shift the columns, so they are quoted. */
function cell(text: string): string {
  return /[",\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

async function put(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await Promise.race([once(out, 'drain'), once(out, 'close')]);
}
