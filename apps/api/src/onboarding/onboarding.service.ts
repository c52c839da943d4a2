import { Injectable } from '@nestjs/common';
import {
  type ApiUser,
  DeviceTokenTakenError,
  OnboardingRepository,
  type OrphanFields,
  type OrphanRecord,
} from '#db';
import { ApiError } from '../common/api-error.js';
import { generateDeviceToken } from '#domain';
import { isoSeconds } from '#presenters';
import { DevicesService } from '../devices/devices.service.js';
import { ReplayParkedNotifier } from '../devices/replay-parked.notifier.js';
import type { CreateOrphanBody, UpdateOrphanBody } from './onboarding.dto.js';
import { InvalidOnboardingSessionError } from './onboarding-session.js';

const TOKEN_DRAWS = 5;

export function presentOrphan(o: OrphanRecord) {
  return {
    id: o.id,
    name: o.name,
    description: o.description,
    exposure: o.exposure,
    latitude: o.latitude,
    longitude: o.longitude,
    user_tags: o.userTags.join(','),
    device_token: o.deviceToken,
    onboarding_session: o.onboardingSession,
    device_handshake: o.deviceHandshake,
    created_at: isoSeconds(o.createdAt),
    updated_at: isoSeconds(o.updatedAt),
  };
}

/** The setup app's calls: a kit in setup (orphan), its fields, and its registration as a device. */
@Injectable()
export class OnboardingService {
  constructor(
    private readonly onboarding: OnboardingRepository,
    private readonly devices: DevicesService,
    private readonly replay: ReplayParkedNotifier,
  ) {}

  async create(body: CreateOrphanBody) {
    // A drawn token can collide with a device's or an orphan's; a few fresh draws make that rare.
    for (let draw = 0; draw < TOKEN_DRAWS; draw++) {
      const orphan = await this.onboarding.createOrphan(generateDeviceToken('kit'), toFields(body));
      if (orphan) return { onboarding_session: orphan.onboardingSession, device_token: orphan.deviceToken };
    }
    throw new Error(`No free device token after ${TOKEN_DRAWS} draws`);
  }

  async get(session: string) {
    const orphan = await this.onboarding.findOrphan(session);
    if (!orphan) throw new InvalidOnboardingSessionError();
    return presentOrphan(orphan);
  }

  async update(session: string, body: UpdateOrphanBody) {
    try {
      const orphan = await this.onboarding.updateOrphan(session, {
        ...toFields(body),
        deviceToken: body.device_token,
      });
      if (!orphan) throw new InvalidOnboardingSessionError();
      return presentOrphan(orphan);
    } catch (error) {
      if (error instanceof DeviceTokenTakenError) throw tokenTaken(error.token);
      throw error;
    }
  }

  /** The orphan becomes the caller's device; what the kit sent meanwhile is replayed into it. */
  async register(session: string, viewer: ApiUser) {
    let created: { id: number; token: string } | null;
    try {
      created = await this.onboarding.registerOrphan(session, viewer.id);
    } catch (error) {
      if (error instanceof DeviceTokenTakenError) throw tokenTaken(error.token);
      throw error;
    }
    if (!created) throw new InvalidOnboardingSessionError();
    this.replay.request(created.token);
    return this.devices.get(created.id, viewer);
  }
}

function toFields(body: CreateOrphanBody): OrphanFields {
  const tags =
    body.user_tags_array ??
    body.user_tags
      ?.split(',')
      .map((t) => t.trim())
      .filter((t) => t !== '');
  return {
    name: body.name,
    description: body.description,
    exposure: body.exposure,
    latitude: body.latitude,
    longitude: body.longitude,
    userTags: tags === undefined ? undefined : [...new Set(tags)],
  };
}

function tokenTaken(token: string): ApiError {
  return ApiError.unprocessable(`device_token "${token}" is already taken`, {
    device_token: ['has already been taken'],
  });
}
