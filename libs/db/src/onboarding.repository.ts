import { Injectable } from '@nestjs/common';
import { DeviceTokenTakenError } from './device-record.js';
import { PrismaService } from './prisma.service.js';

/** A kit in setup, as the setup app reads it. */
export interface OrphanRecord {
  id: number;
  onboardingSession: string;
  deviceToken: string;
  name: string | null;
  description: string | null;
  exposure: string | null;
  latitude: number | null;
  longitude: number | null;
  userTags: string[];
  deviceHandshake: boolean;
  createdAt: Date;
  updatedAt: Date;
}

/** Fields the setup app may set on a kit in setup; `undefined` leaves a field as it is. */
export interface OrphanFields {
  name?: string | null;
  description?: string | null;
  exposure?: 'indoor' | 'outdoor' | null;
  latitude?: number | null;
  longitude?: number | null;
  userTags?: string[];
  deviceToken?: string;
}

/** Kits in setup (orphan devices), their registration as devices, and the tags catalogue. */
@Injectable()
export class OnboardingRepository {
  constructor(private readonly db: PrismaService) {}

  /** A new orphan, or null when a device or an orphan already holds `token`. */
  async createOrphan(token: string, fields: OrphanFields): Promise<OrphanRecord | null> {
    try {
      return await this.db.client.$transaction(async (tx) => {
        const held = await tx.device.findFirst({ where: { token }, select: { id: true } });
        if (held) return null;
        return tx.orphanDevice.create({ data: { ...fields, deviceToken: token } });
      });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') return null;
      throw error;
    }
  }

  findOrphan(session: string): Promise<OrphanRecord | null> {
    return this.db.client.orphanDevice.findUnique({ where: { onboardingSession: session } });
  }

  /** The changed orphan, or null when the session is unknown. @throws DeviceTokenTakenError */
  async updateOrphan(session: string, fields: OrphanFields): Promise<OrphanRecord | null> {
    const token = fields.deviceToken;
    try {
      return await this.db.client.$transaction(async (tx) => {
        if (token !== undefined) {
          const held = await tx.device.findFirst({ where: { token }, select: { id: true } });
          if (held) throw new DeviceTokenTakenError(token);
        }
        const changed = await tx.orphanDevice.updateMany({
          where: { onboardingSession: session },
          data: { ...fields, updatedAt: new Date() },
        });
        if (changed.count === 0) return null;
        return tx.orphanDevice.findUnique({ where: { onboardingSession: session } });
      });
    } catch (error) {
      if (token !== undefined && (error as { code?: string }).code === 'P2002') {
        throw new DeviceTokenTakenError(token);
      }
      throw error;
    }
  }

  /**
   * Turns the orphan into a device owned by `ownerId`, with its fields and token, and deletes the
   * orphan, in one transaction. Null when the session is unknown (or was registered meanwhile).
   * @throws DeviceTokenTakenError
   */
  async registerOrphan(session: string, ownerId: number): Promise<{ id: number; token: string } | null> {
    let token: string | undefined;
    try {
      return await this.db.client.$transaction(async (tx) => {
        // Deleting first locks the row: a second registration of the same session finds nothing.
        const [orphan] = await tx.$queryRaw<OrphanRecord[]>`
          DELETE FROM orphan_devices WHERE onboarding_session = ${session}::uuid
          RETURNING device_token AS "deviceToken", name, description, exposure, latitude, longitude,
                    user_tags AS "userTags"`;
        if (!orphan) return null;
        token = orphan.deviceToken;
        const device = await tx.device.create({
          data: {
            ownerId,
            token,
            name: orphan.name ?? `Kit ${token}`,
            description: orphan.description,
            exposure: orphan.exposure,
            latitude: orphan.latitude,
            longitude: orphan.longitude,
            userTags: orphan.userTags,
          },
          select: { id: true },
        });
        return { id: device.id, token };
      });
    } catch (error) {
      if (token !== undefined && (error as { code?: string }).code === 'P2002') {
        throw new DeviceTokenTakenError(token);
      }
      throw error;
    }
  }

  /** Tags by id, a page at a time, and how many there are. */
  async listTags(
    offset: number,
    limit: number,
  ): Promise<{ tags: { id: number; name: string }[]; total: number }> {
    const [tags, total] = await Promise.all([
      this.db.client.tag.findMany({
        select: { id: true, name: true },
        orderBy: { id: 'asc' },
        skip: offset,
        take: limit,
      }),
      this.db.client.tag.count(),
    ]);
    return { tags, total };
  }
}
