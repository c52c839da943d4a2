import { Prisma } from './generated/prisma/client.js';
import type { DeviceState, Viewer } from './device-record.js';

/** SQL conditions on `devices d` shared by the device list and the lookups around it. */

/** Great-circle distance in km from a point to a device (haversine, mean Earth radius). */
export function distanceKm(latitude: number, longitude: number): Prisma.Sql {
  return Prisma.sql`(6371.0088 * 2 * asin(sqrt(
      power(sin(radians(d.latitude - ${latitude}::float8) / 2), 2)
      + cos(radians(${latitude}::float8)) * cos(radians(d.latitude))
        * power(sin(radians(d.longitude - ${longitude}::float8) / 2), 2))))`;
}

export function visibleTo(viewer: Viewer | null): Prisma.Sql {
  if (viewer?.isAdmin) return Prisma.sql`TRUE`;
  if (viewer) return Prisma.sql`(NOT d.is_private OR d.owner_id = ${viewer.id})`;
  return Prisma.sql`NOT d.is_private`;
}

export function stateIs(state: DeviceState): Prisma.Sql {
  switch (state) {
    case 'has_published':
      return Prisma.sql`d.last_reading_at IS NOT NULL`;
    case 'never_published':
      return Prisma.sql`(d.last_reading_at IS NULL AND d.token IS NOT NULL)`;
    case 'not_configured':
      return Prisma.sql`(d.last_reading_at IS NULL AND d.token IS NULL)`;
  }
}

export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}
