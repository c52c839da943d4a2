import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Prisma } from './generated/prisma/client.js';
import type { Viewer } from './device-record.js';
import { escapeLike, visibleTo } from './device-conditions.js';
import { PrismaService } from './prisma.service.js';

/** A user as the API shows them (the email only to themselves and admins, decided above). */
export interface UserProfile {
  id: number;
  uuid: string;
  username: string;
  role: string;
  email: string | null;
  url: string | null;
  profilePicture: string | null;
  city: string | null;
  countryCode: string | null;
  forwardingToken: string | null;
  forwardingUsername: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** Profile fields a user may change; `undefined` leaves a field as it is. */
export interface ProfileFields {
  username?: string;
  email?: string | null;
  url?: string | null;
  profilePicture?: string | null;
  city?: string | null;
  countryCode?: string | null;
  /** Researchers' and admins' broker username for their forward topics. */
  forwardingUsername?: string;
}

/** The username, email or forwarding username asked for belongs to someone else. */
export class ProfileTakenError extends Error {
  constructor(readonly field: 'username' | 'email' | 'forwarding_username') {
    super(`${field} is taken`);
  }
}

export interface DeviceHit {
  id: number;
  name: string;
  description: string | null;
  ownerId: number | null;
  ownerUsername: string | null;
  city: string | null;
  countryCode: string | null;
  latitude: number | null;
  longitude: number | null;
}

export interface UserHit {
  id: number;
  username: string;
  profilePicture: string | null;
  city: string | null;
  countryCode: string | null;
}

const SELECT_PROFILE = Prisma.sql`
  SELECT id, uuid::text AS uuid, username, role, email, url, profile_picture AS "profilePicture", city,
         country_code AS "countryCode", forwarding_token AS "forwardingToken",
         forwarding_username AS "forwardingUsername", created_at AS "createdAt", updated_at AS "updatedAt"
    FROM users`;

/** Users' profiles and the global search. */
@Injectable()
export class PeopleRepository {
  constructor(private readonly db: PrismaService) {}

  async findProfile(key: { id: number } | { username: string }): Promise<UserProfile | null> {
    const where = 'id' in key ? Prisma.sql`id = ${key.id}` : Prisma.sql`username = ${key.username}`;
    const rows = await this.db.client.$queryRaw<UserProfile[]>`${SELECT_PROFILE} WHERE ${where}`;
    return rows[0] ?? null;
  }

  /** @throws ProfileTakenError */
  async updateProfile(id: number, fields: ProfileFields): Promise<UserProfile> {
    try {
      await this.db.client.user.update({ where: { id }, data: { ...fields, updatedAt: new Date() } });
    } catch (error) {
      const target = (error as { code?: string; meta?: { target?: unknown } }).code === 'P2002';
      if (target) {
        const text = JSON.stringify((error as { meta?: unknown }).meta ?? '') + String(error);
        const field = text.includes('forwarding_username')
          ? 'forwarding_username'
          : text.includes('email')
            ? 'email'
            : 'username';
        throw new ProfileTakenError(field);
      }
      throw error;
    }
    return (await this.findProfile({ id }))!;
  }

  /**
   * The user's forwarding credentials, made (random, unique) the first time they are asked for;
   * two concurrent first requests agree on the stored pair.
   */
  async ensureForwardingCredentials(id: number): Promise<{ token: string; username: string }> {
    const rows = await this.db.client.$queryRaw<{ token: string; username: string }[]>`
      UPDATE users
         SET forwarding_token = coalesce(forwarding_token, ${randomBytes(24).toString('base64url')}),
             forwarding_username = coalesce(forwarding_username, ${`fwd_${randomBytes(6).toString('hex')}`})
       WHERE id = ${id}
      RETURNING forwarding_token AS token, forwarding_username AS username`;
    return rows[0];
  }

  /** Unarchived devices the viewer may see whose name or city contains `text`. */
  searchDevices(text: string, viewer: Viewer | null, limit: number): Promise<DeviceHit[]> {
    const pattern = `%${escapeLike(text)}%`;
    const visible = visibleTo(viewer);
    return this.db.client.$queryRaw<DeviceHit[]>`
      SELECT d.id, d.name, d.description, d.owner_id AS "ownerId", u.username AS "ownerUsername", d.city,
             d.country_code AS "countryCode", d.latitude, d.longitude
        FROM devices d LEFT JOIN users u ON u.id = d.owner_id
       WHERE d.archived_at IS NULL AND ${visible} AND (d.name ILIKE ${pattern} OR d.city ILIKE ${pattern})
       ORDER BY d.id LIMIT ${limit}`;
  }

  searchUsers(text: string, limit: number): Promise<UserHit[]> {
    const pattern = `%${escapeLike(text)}%`;
    return this.db.client.$queryRaw<UserHit[]>`
      SELECT id, username, profile_picture AS "profilePicture", city, country_code AS "countryCode"
        FROM users WHERE username ILIKE ${pattern} OR city ILIKE ${pattern}
       ORDER BY id LIMIT ${limit}`;
  }

  /** User tags of visible devices that contain `text`, with how many such devices carry each. */
  searchTags(
    text: string,
    viewer: Viewer | null,
    limit: number,
  ): Promise<{ name: string; devices: number }[]> {
    const pattern = `%${escapeLike(text)}%`;
    const visible = visibleTo(viewer);
    return this.db.client.$queryRaw<{ name: string; devices: number }[]>`
      SELECT tag AS name, count(*)::int AS devices
        FROM devices d CROSS JOIN LATERAL unnest(d.user_tags) AS tag
       WHERE d.archived_at IS NULL AND ${visible} AND tag ILIKE ${pattern}
       GROUP BY tag ORDER BY count(*) DESC, tag LIMIT ${limit}`;
  }
}
