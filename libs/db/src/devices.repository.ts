import { Injectable } from '@nestjs/common';
import { Prisma } from './generated/prisma/client.js';
import {
  type DeviceFields,
  type DeviceListQuery,
  type DeviceRecord,
  type DeviceSensorValue,
  DeviceTokenTakenError,
  type NewDevice,
  type Viewer,
} from './device-record.js';
import { visibleTo } from './device-conditions.js';
import {
  SELECT_DEVICE,
  deviceColumns,
  deviceListConditions,
  latestSensorValuesStatement,
} from './devices.statements.js';
import { PrismaService } from './prisma.service.js';

/** Devices as the REST API and `npm run device:create` read and write them. */
@Injectable()
export class DevicesRepository {
  constructor(private readonly db: PrismaService) {}

  async listVisibleDevices(query: DeviceListQuery): Promise<{ total: number; devices: DeviceRecord[] }> {
    const { condition, orderBy } = deviceListConditions(query);
    const [count] = await this.db.client.$queryRaw<{ total: bigint }[]>`
      SELECT count(*) AS total FROM devices d LEFT JOIN users u ON u.id = d.owner_id WHERE ${condition}`;
    const devices = await this.db.client.$queryRaw<DeviceRecord[]>`
      ${SELECT_DEVICE} WHERE ${condition} ORDER BY ${orderBy} LIMIT ${query.limit} OFFSET ${query.offset}`;
    return { total: Number(count.total), devices };
  }

  /** A device by id; archived ones only when asked for. */
  async findDevice(id: number, { includeArchived = false } = {}): Promise<DeviceRecord | null> {
    const archived = includeArchived ? Prisma.empty : Prisma.sql`AND d.archived_at IS NULL`;
    const rows = await this.db.client.$queryRaw<DeviceRecord[]>`
      ${SELECT_DEVICE} WHERE d.id = ${id} ${archived}`;
    return rows[0] ?? null;
  }

  /** The latest value of every sensor the devices have reported, and the one before it. */
  async findLatestSensorValues(deviceIds: number[]): Promise<DeviceSensorValue[]> {
    if (deviceIds.length === 0) return [];
    return this.db.client.$queryRaw<DeviceSensorValue[]>(latestSensorValuesStatement(deviceIds));
  }

  /** The ids of the owners' devices the viewer may see (not archived), per owner. */
  async findOwnerDeviceIds(ownerIds: number[], viewer: Viewer | null): Promise<Map<number, number[]>> {
    if (ownerIds.length === 0) return new Map();
    const rows = await this.db.client.$queryRaw<{ ownerId: number; ids: number[] }[]>`
      SELECT d.owner_id AS "ownerId", array_agg(d.id ORDER BY d.id) AS ids FROM devices d
       WHERE d.owner_id = ANY(${ownerIds}::int[]) AND d.archived_at IS NULL AND ${visibleTo(viewer)}
       GROUP BY d.owner_id`;
    return new Map(rows.map((r) => [r.ownerId, r.ids]));
  }

  /** A device with a token and a name (`npm run device:create`). @throws DeviceTokenTakenError */
  async createDevice(device: NewDevice): Promise<DeviceRecord> {
    const created = await this.translateTokenConflict(device.token, () =>
      this.db.client.device.create({
        data: { token: device.token, name: device.name, ownerId: device.ownerId ?? null },
        select: { id: true },
      }),
    );
    return (await this.findDevice(created.id))!;
  }

  /** Re-activates the archived device holding `token`; null when no archived device has it. */
  async reactivateDevice(token: string): Promise<DeviceRecord | null> {
    const archived = await this.db.client.device.findFirst({
      where: { token, archivedAt: { not: null } },
      select: { id: true },
    });
    if (!archived) return null;
    await this.db.client.device.update({
      where: { id: archived.id },
      data: { archivedAt: null, updatedAt: new Date() },
    });
    return this.findDevice(archived.id);
  }

  /** @throws DeviceTokenTakenError */
  async registerDevice(
    ownerId: number,
    fields: DeviceFields & { name: string; token: string },
  ): Promise<DeviceRecord> {
    const created = await this.translateTokenConflict(fields.token, () =>
      this.db.client.device.create({
        data: {
          ...deviceColumns(fields),
          name: fields.name,
          ownerId,
          ...(fields.postprocessing ? { postprocessing: { create: fields.postprocessing } } : {}),
        },
        select: { id: true },
      }),
    );
    return (await this.findDevice(created.id))!;
  }

  /** The device's columns and its post-processing row in one transaction. @throws DeviceTokenTakenError */
  async updateDevice(id: number, fields: DeviceFields, unarchive = false): Promise<DeviceRecord> {
    const postprocessing = fields.postprocessing
      ? {
          postprocessing: {
            upsert: {
              create: fields.postprocessing,
              update: { ...fields.postprocessing, updatedAt: new Date() },
            },
          },
        }
      : {};
    await this.translateTokenConflict(fields.token, () =>
      this.db.client.$transaction([
        this.db.client.device.update({
          where: { id },
          data: {
            ...deviceColumns(fields),
            ...(unarchive ? { archivedAt: null } : {}),
            ...postprocessing,
            updatedAt: new Date(),
          },
        }),
        ...(fields.postprocessing === null
          ? [this.db.client.postprocessing.deleteMany({ where: { deviceId: id } })]
          : []),
      ]),
    );
    return (await this.findDevice(id))!;
  }

  async archiveDevice(id: number): Promise<void> {
    await this.db.client.device.update({
      where: { id },
      data: { archivedAt: new Date(), updatedAt: new Date() },
    });
  }

  private async translateTokenConflict<T>(token: string | undefined, write: () => Promise<T>): Promise<T> {
    try {
      return await write();
    } catch (error) {
      if (token !== undefined && (error as { code?: string }).code === 'P2002') {
        throw new DeviceTokenTakenError(token);
      }
      throw error;
    }
  }
}
