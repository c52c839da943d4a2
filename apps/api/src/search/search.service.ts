import { Injectable } from '@nestjs/common';
import { type ApiUser, PeopleRepository } from '#db';
import { countryName } from '#presenters';

/** Most hits of each kind one search answers (then paginated together). */
const MAX_PER_KIND = 1000;
const NO_PLACE = { city: null, country_code: null, country: null, latitude: null, longitude: null };

@Injectable()
export class SearchService {
  constructor(private readonly people: PeopleRepository) {}

  /** Devices (name or city), users (username or city) and tags, in that order. */
  async search(text: string, viewer: ApiUser | null) {
    const who = viewer && { id: viewer.id, isAdmin: viewer.role === 'admin' };
    const [devices, users, tags] = await Promise.all([
      this.people.searchDevices(text, who, MAX_PER_KIND),
      this.people.searchUsers(text, MAX_PER_KIND),
      this.people.searchTags(text, who, MAX_PER_KIND),
    ]);
    return [
      ...devices.map((d) => ({
        id: d.id,
        type: 'Device' as const,
        name: d.name,
        description: d.description,
        owner_id: d.ownerId,
        owner_username: d.ownerUsername,
        city: d.city,
        country_code: d.countryCode,
        country: countryName(d.countryCode),
        latitude: d.latitude,
        longitude: d.longitude,
      })),
      ...users.map((u) => ({
        id: u.id,
        type: 'User' as const,
        username: u.username,
        profile_picture: u.profilePicture ?? '',
        city: u.city,
        country_code: u.countryCode,
        country: countryName(u.countryCode),
        latitude: null,
        longitude: null,
      })),
      ...tags.map((t) => ({ id: null, type: 'Tag' as const, name: t.name, devices: t.devices, ...NO_PLACE })),
    ];
  }
}
