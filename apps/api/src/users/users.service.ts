import { Injectable } from '@nestjs/common';
import { type ApiUser, PeopleRepository, ProfileTakenError, type UserProfile } from '#db';
import { ApiError } from '../common/api-error.js';
import { countryName } from '#presenters';
import { isoSeconds } from '#presenters';
import type { DeviceJson } from '#presenters';
import { DevicesService } from '../devices/devices.service.js';
import type { UpdateMeBody } from './users.dto.js';

/** The user JSON, keys in the reference's order; `email` only to the user and admins. */
export function presentUser(user: UserProfile, devices: DeviceJson[], viewer: ApiUser | null) {
  const json = {
    id: user.id,
    uuid: user.uuid,
    role: user.role,
    username: user.username,
    profile_picture: user.profilePicture ?? '',
    url: user.url,
    location: { city: user.city, country: countryName(user.countryCode), country_code: user.countryCode },
    devices,
    created_at: isoSeconds(user.createdAt),
    updated_at: isoSeconds(user.updatedAt),
  };
  const personal = viewer !== null && (viewer.id === user.id || viewer.role === 'admin');
  if (!personal) return json;
  const forwarding = viewer.id === user.id && FORWARDING_ROLES.has(user.role);
  return forwarding
    ? {
        ...json,
        email: user.email,
        forwarding_token: user.forwardingToken,
        forwarding_username: user.forwardingUsername,
      }
    : { ...json, email: user.email };
}

/** Roles that may forward readings (`/forward/<forwarding_token>/…`). */
const FORWARDING_ROLES = new Set(['researcher', 'admin']);

@Injectable()
export class UsersService {
  constructor(
    private readonly people: PeopleRepository,
    private readonly devices: DevicesService,
  ) {}

  async me(viewer: ApiUser) {
    return this.show((await this.people.findProfile({ id: viewer.id }))!, viewer);
  }

  async updateMe(viewer: ApiUser, body: UpdateMeBody) {
    if (body.forwarding_username !== undefined) {
      if (!FORWARDING_ROLES.has(viewer.role)) {
        throw ApiError.forbidden(
          'Only researchers and admins forward readings and have a forwarding_username',
        );
      }
      // The token comes with the username: a forwarding username without a token would be unusable.
      await this.people.ensureForwardingCredentials(viewer.id);
    }
    try {
      const user = await this.people.updateProfile(viewer.id, {
        forwardingUsername: body.forwarding_username,
        username: body.username,
        email: body.email,
        url: body.url,
        profilePicture: body.profile_picture,
        city: body.city,
        countryCode: body.country_code,
      });
      return this.show(user, viewer);
    } catch (error) {
      if (error instanceof ProfileTakenError) {
        throw ApiError.unprocessable(`${error.field} is already taken`, {
          [error.field]: ['has already been taken'],
        });
      }
      throw error;
    }
  }

  /** By id (digits) or username. */
  async get(idOrUsername: string, viewer: ApiUser | null) {
    const key = /^\d{1,9}$/.test(idOrUsername) ? { id: Number(idOrUsername) } : { username: idOrUsername };
    const user = await this.people.findProfile(key);
    if (!user) throw ApiError.notFound(`User ${idOrUsername} not found`);
    return this.show(user, viewer);
  }

  private async show(user: UserProfile, viewer: ApiUser | null) {
    if (viewer?.id === user.id && FORWARDING_ROLES.has(user.role) && user.forwardingToken === null) {
      const made = await this.people.ensureForwardingCredentials(user.id);
      user = { ...user, forwardingToken: made.token, forwardingUsername: made.username };
    }
    return presentUser(user, await this.devices.listOwnedBy(user.id, viewer), viewer);
  }
}
