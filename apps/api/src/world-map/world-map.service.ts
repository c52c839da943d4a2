import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Injectable } from '@nestjs/common';
import { type ApiUser, WorldMapRepository } from '#db';
import { presentWorldMapDevice } from './world-map.presenter.js';

/** How long the public map is served from memory. */
export const WORLD_MAP_TTL_MS = 60_000;

const gzipAsync = promisify(gzip);

/** The public map as JSON bytes and gzipped (what browsers take: a tenth of the bytes). */
export interface MapBody {
  json: Buffer;
  gzip: Buffer;
}

/**
 * The world map: every located device that has published, in one unpaginated answer. The public
 * one is serialised and compressed once per minute and served as bytes (the whole fleet is
 * megabytes of JSON); requests arriving while it is rebuilt share the one rebuild.
 */
@Injectable()
export class WorldMapService {
  private cached: { body: MapBody; until: number } | null = null;
  private building: Promise<MapBody> | null = null;

  constructor(private readonly worldMap: WorldMapRepository) {}

  async publicMap(now = Date.now()): Promise<MapBody> {
    if (this.cached && now < this.cached.until) return this.cached.body;
    this.building ??= this.build(null)
      .then(async (json) => ({ json, gzip: await gzipAsync(json) }))
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
