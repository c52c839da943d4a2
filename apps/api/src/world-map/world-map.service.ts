import { Injectable } from '@nestjs/common';
import { type ApiUser, WorldMapRepository } from '../../../../libs/db/src/index.js';
import { presentWorldMapDevice } from './world-map.presenter.js';

/** How long the public map is served from memory. */
export const WORLD_MAP_TTL_MS = 60_000;

/**
 * The world map: every located device that has published, in one unpaginated answer. The public
 * one is serialised once per minute and served as bytes (the whole fleet is megabytes of JSON);
 * requests arriving while it is rebuilt share the one rebuild.
 */
@Injectable()
export class WorldMapService {
  private cached: { body: Buffer; until: number } | null = null;
  private building: Promise<Buffer> | null = null;

  constructor(private readonly worldMap: WorldMapRepository) {}

  async publicMap(now = Date.now()): Promise<Buffer> {
    if (this.cached && now < this.cached.until) return this.cached.body;
    this.building ??= this.build(null)
      .then((body) => {
        this.cached = { body, until: Date.now() + WORLD_MAP_TTL_MS };
        return body;
      })
      .finally(() => {
        this.building = null;
      });
    return this.building;
  }

  /** Uncached, with what the viewer may see (their private devices; admins: all). */
  freshMap(viewer: ApiUser | null): Promise<Buffer> {
    return this.build(viewer);
  }

  private async build(viewer: ApiUser | null): Promise<Buffer> {
    const devices = await this.worldMap.listWorldMapDevices(
      viewer && { id: viewer.id, isAdmin: viewer.role === 'admin' },
    );
    const now = Date.now();
    return Buffer.from(JSON.stringify(devices.map((d) => presentWorldMapDevice(d, now))));
  }
}
