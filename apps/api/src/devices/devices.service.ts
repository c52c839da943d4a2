import { Injectable } from '@nestjs/common';
import {
  type ApiUser,
  DevicesRepository,
  type DeviceFields,
  type DeviceRecord,
  DeviceTokenTakenError,
  ParkedMessagesRepository,
  FORWARDING_ROLES,
} from '#db';
import { generateDeviceToken } from '#domain';
import { ApiError } from '../common/api-error.js';
import type { PageRequest } from '../common/pagination.js';
import type { CreateDeviceBody, ListDevicesQuery, UpdateDeviceBody } from './devices.dto.js';
import { type DeviceJson, canManage, presentDevice } from '#presenters';
import { ReplayParkedNotifier } from './replay-parked.notifier.js';
import { type TokenClaimProof, mayClaimParkedToken } from './token-claim.policy.js';
import { mergeTags, postprocessingOf } from './device-body.js';
const DEFAULT_WITHIN_KM = 1000;

/**
 * The device, when the viewer may read it: 404 when unknown or archived (null), 403 when private and
 * not theirs.
 */
export function readable<D extends Pick<DeviceRecord, 'ownerId' | 'isPrivate'>>(
  id: number,
  device: D | null,
  viewer: ApiUser | null,
): D {
  if (!device) throw ApiError.notFound(`Device ${id} not found`);
  if (device.isPrivate && !canManage(viewer, device)) {
    throw ApiError.forbidden(`Device ${id} is private: only its owner and admins may read it`);
  }
  return device;
}

@Injectable()
export class DevicesService {
  constructor(
    private readonly devices: DevicesRepository,
    private readonly replay: ReplayParkedNotifier,
    private readonly parked: ParkedMessagesRepository,
  ) {}

  async list(
    query: ListDevicesQuery,
    page: PageRequest,
    viewer: ApiUser | null,
  ): Promise<{ total: number; devices: DeviceJson[] }> {
    if (query.within !== undefined && query.near === undefined) {
      throw ApiError.badRequest('within needs near=<latitude>,<longitude>');
    }
    const { total, devices } = await this.devices.listVisibleDevices({
      viewer: viewer && { id: viewer.id, isAdmin: viewer.role === 'admin' },
      nameContains: query['q[name_cont]'],
      ids: query['q[id_in][]'],
      state: query['q[state_eq]'],
      lastReadingAfter: query['q[last_reading_at_gt]'],
      lastReadingBefore: query['q[last_reading_at_lt]'],
      ownerUsername: query['q[owner_username_eq]'],
      nameEquals: query['q[name_eq]'],
      createdAfter: query['q[created_at_gt]'],
      createdBefore: query['q[created_at_lt]'],
      ownerId: query['q[owner_id_eq]'],
      tagsAll: query['q[tags_name_eq]'] === undefined ? undefined : [query['q[tags_name_eq]']],
      tagsAny: mergeTags(query['q[tags_name_in]'], query['q[tags_name_in][]']),
      hasPostprocessing: query['q[postprocessing_id_not_null]'],
      tags: query.with_tags,
      near: query.near && { ...query.near, withinKm: query.within ?? DEFAULT_WITHIN_KM },
      offset: page.offset,
      limit: page.perPage,
    });
    return { total, devices: await this.present(devices, viewer) };
  }

  /** A user's devices the viewer may see, as the user JSON embeds them (at most 1000). */
  async listOwnedBy(ownerId: number, viewer: ApiUser | null): Promise<DeviceJson[]> {
    const { devices } = await this.devices.listVisibleDevices({
      viewer: viewer && { id: viewer.id, isAdmin: viewer.role === 'admin' },
      ownerId,
      offset: 0,
      limit: 1000,
    });
    return this.present(devices, viewer);
  }

  async get(id: number, viewer: ApiUser | null): Promise<DeviceJson> {
    const [json] = await this.present([await this.findReadableDevice(id, viewer)], viewer);
    return json;
  }

  /** The stored device, through readable(). */
  async findReadableDevice(id: number, viewer: ApiUser | null): Promise<DeviceRecord> {
    return readable(id, await this.devices.findDevice(id), viewer);
  }

  /** A device the viewer may change or inspect closely: its owner or an admin. */
  async findManageableDevice(
    id: number,
    viewer: ApiUser | null,
    { includeArchived = false } = {},
  ): Promise<DeviceRecord> {
    if (!viewer) throw ApiError.unauthorized();
    const device = await this.devices.findDevice(id, { includeArchived });
    if (!device) throw ApiError.notFound(`Device ${id} not found`);
    if (!canManage(viewer, device)) {
      throw ApiError.forbidden(`Only the owner of device ${id} and admins may do this`);
    }
    return device;
  }

  async create(
    body: CreateDeviceBody,
    viewer: ApiUser,
    proof: TokenClaimProof = { onboardingSession: false },
  ): Promise<DeviceJson> {
    mayForward(body, viewer);
    const fields = toFields(body);
    if (body.device_token !== undefined) await this.checkClaim(body.device_token, viewer, proof);
    let device: DeviceRecord | undefined;
    // A generated token can collide with an existing one; a few fresh draws make that vanishingly rare.
    for (let attempt = 0; !device; attempt++) {
      const token = body.device_token ?? generateDeviceToken();
      try {
        device = await this.devices.registerDevice(viewer.id, { ...fields, name: body.name, token });
      } catch (error) {
        if (!(error instanceof DeviceTokenTakenError)) throw error;
        if (body.device_token !== undefined || attempt >= 4) throw tokenTaken(error.token);
      }
    }
    this.replay.request(device.token!);
    const [json] = await this.present([device], viewer);
    return json;
  }

  async update(id: number, body: UpdateDeviceBody, viewer: ApiUser): Promise<DeviceJson> {
    const unarchive = body.archived === false;
    const current = await this.findManageableDevice(id, viewer, { includeArchived: unarchive });
    mayForward(body, viewer);
    if (body.archived === true) {
      throw ApiError.unprocessable('archived: true is not accepted: archive a device with DELETE', {
        archived: ['use DELETE /v0/devices/:id to archive'],
      });
    }
    if (body.device_token !== undefined && body.device_token !== current.token) {
      await this.checkClaim(body.device_token, viewer, { onboardingSession: false });
    }
    let device: DeviceRecord;
    try {
      device = await this.devices.updateDevice(id, toFields(body), unarchive && current.archivedAt !== null);
    } catch (error) {
      if (error instanceof DeviceTokenTakenError) throw tokenTaken(error.token);
      throw error;
    }
    const reactivated = unarchive && current.archivedAt !== null;
    const newToken = device.token !== current.token;
    if (device.token && (reactivated || newToken)) this.replay.request(device.token);
    const [json] = await this.present([device], viewer);
    return json;
  }

  async archive(id: number, viewer: ApiUser): Promise<void> {
    await this.findManageableDevice(id, viewer);
    await this.devices.archiveDevice(id);
  }

  /**
   * A token with parked traffic is refused without proof, with the same 422 as a taken token: the
   * answer tells a prober nothing about which tokens publish, exist, are private or archived.
   */
  private async checkClaim(token: string, viewer: ApiUser, proof: TokenClaimProof): Promise<void> {
    if (mayClaimParkedToken(viewer, proof)) return;
    if (await this.parked.hasParkedMessages(token)) throw tokenTaken(token);
  }

  private async present(devices: DeviceRecord[], viewer: ApiUser | null): Promise<DeviceJson[]> {
    const ownerIds = [...new Set(devices.flatMap((d) => (d.ownerId === null ? [] : [d.ownerId])))];
    const [sensors, ownerDevices] = await Promise.all([
      this.devices.findLatestSensorValues(devices.map((d) => d.id)),
      this.devices.findOwnerDeviceIds(
        ownerIds,
        viewer && { id: viewer.id, isAdmin: viewer.role === 'admin' },
      ),
    ]);
    const now = Date.now();
    return devices.map((d) =>
      presentDevice(d, sensors, viewer, now, d.ownerId === null ? [] : (ownerDevices.get(d.ownerId) ?? [])),
    );
  }
}

function tokenTaken(token: string): ApiError {
  return ApiError.unprocessable(`device_token "${token}" is already taken`, {
    device_token: ['has already been taken'],
  });
}

/** Citizens may not switch forwarding on or off; researchers and admins may. */
function mayForward(body: { enable_forwarding?: boolean }, viewer: ApiUser): void {
  if (body.enable_forwarding !== undefined && !FORWARDING_ROLES.includes(viewer.role)) {
    throw ApiError.forbidden('Only researchers and admins may set enable_forwarding');
  }
}

function toFields(body: Omit<UpdateDeviceBody, 'archived'>): DeviceFields {
  return {
    name: body.name,
    description: body.description,
    token: body.device_token,
    latitude: body.latitude,
    longitude: body.longitude,
    elevation: body.elevation,
    exposure: body.exposure,
    userTags: body.user_tags,
    isPrivate: body.is_private,
    preciseLocation: body.precise_location,
    enableForwarding: body.enable_forwarding,
    notifyStoppedPublishing: body.notify_stopped_publishing,
    notifyLowBattery: body.notify_low_battery,
    city: body.city,
    countryCode: body.country_code,
    meta: body.meta,
    postprocessing: postprocessingOf(body.postprocessing_attributes),
  };
}
