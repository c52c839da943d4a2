import { Injectable } from '@nestjs/common';
import type { Device, PrismaClient } from './generated/prisma/client.js';
import { PrismaService } from './prisma.service.js';

export interface NewDevice {
  token: string;
  name: string;
  ownerId?: number | null;
}

@Injectable()
export class DevicesRepository {
  constructor(private readonly db: PrismaService) {}

  createDevice(device: NewDevice): Promise<Device> {
    return createDevice(this.db.client, device);
  }
}

/** Also used outside Nest, by `npm run device:create`. */
export function createDevice(prisma: PrismaClient, device: NewDevice): Promise<Device> {
  return prisma.device.create({
    data: { token: device.token, name: device.name, ownerId: device.ownerId ?? null },
  });
}

/**
 * Re-activates an archived device (also used by `npm run device:create -- --reactivate`).
 * Returns null when no archived device has the token.
 */
export async function reactivateDevice(prisma: PrismaClient, token: string): Promise<Device | null> {
  const archived = await prisma.device.findFirst({ where: { token, archivedAt: { not: null } } });
  if (!archived) return null;
  return prisma.device.update({
    where: { id: archived.id },
    data: { archivedAt: null, updatedAt: new Date() },
  });
}
