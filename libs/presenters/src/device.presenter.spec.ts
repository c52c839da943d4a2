import { describe, expect, it } from 'vitest';
import type { ApiUser, DeviceRecord, DeviceSensorValue } from '#db';
import { FILTERED, presentDevice } from './device.presenter.js';

const NOW = Date.parse('2024-06-01T12:00:00Z');
const owner: ApiUser = { id: 7, uuid: 'u-7', username: 'ana', role: 'citizen' };
const stranger: ApiUser = { id: 8, uuid: 'u-8', username: 'bob', role: 'researcher' };
const admin: ApiUser = { id: 9, uuid: 'u-9', username: 'ada', role: 'admin' };

function device(overrides: Partial<DeviceRecord> = {}): DeviceRecord {
  return {
    id: 1,
    uuid: 'd-1',
    token: 'abc123',
    ownerId: 7,
    ownerUuid: 'u-7',
    ownerUsername: 'ana',
    ownerUrl: null,
    ownerProfilePicture: null,
    ownerCity: null,
    ownerCountryCode: null,
    name: 'Kit',
    description: null,
    isPrivate: false,
    preciseLocation: false,
    enableForwarding: false,
    notifyStoppedPublishing: false,
    notifyLowBattery: false,
    latitude: null,
    longitude: null,
    elevation: null,
    exposure: null,
    city: null,
    countryCode: null,
    userTags: [],
    meta: null,
    hardwareInfo: null,
    postprocessing: null,
    lastReadingAt: null,
    archivedAt: null,
    createdAt: new Date('2024-01-01T00:00:00.123Z'),
    updatedAt: new Date('2024-01-02T00:00:00Z'),
    ...overrides,
  };
}

describe('presentDevice', () => {
  it('derives the state from the last reading and the token', () => {
    expect(presentDevice(device({ lastReadingAt: new Date(NOW) }), [], null, NOW).state).toBe(
      'has_published',
    );
    expect(presentDevice(device(), [], null, NOW).state).toBe('never_published');
    expect(presentDevice(device({ token: null }), [], null, NOW).state).toBe('not_configured');
  });

  it('sorts system tags: exposure, new within 7 days, online within 60 minutes', () => {
    const fresh = device({
      exposure: 'outdoor',
      createdAt: new Date(NOW - 6 * 86_400_000),
      lastReadingAt: new Date(NOW - 60 * 60_000),
    });
    expect(presentDevice(fresh, [], null, NOW).system_tags).toEqual(['new', 'online', 'outdoor']);
    const old = device({ exposure: 'indoor', lastReadingAt: new Date(NOW - 61 * 60_000) });
    expect(presentDevice(old, [], null, NOW).system_tags).toEqual(['indoor', 'offline']);
  });

  it('filters the token and the hardware status for everybody but the owner and admins', () => {
    const kit = device({ hardwareInfo: { hw_ver: '2.1', esp_ver: '1.0' } });
    for (const viewer of [null, stranger]) {
      const json = presentDevice(kit, [], viewer, NOW);
      expect(json.device_token).toBe(FILTERED);
      expect(json.hardware.last_status_message).toBe(FILTERED);
    }
    for (const viewer of [owner, admin]) {
      const json = presentDevice(kit, [], viewer, NOW);
      expect(json.device_token).toBe('abc123');
      expect(json.hardware).toEqual({
        name: 'SmartCitizen Kit 2.1',
        type: 'SCK',
        version: '2.1',
        slug: 'sck:2,1',
        last_status_message: { hw_ver: '2.1', esp_ver: '1.0' },
      });
    }
  });

  it('omits unknown location members and writes times to the second', () => {
    const json = presentDevice(device({ latitude: 41.3968, longitude: 2.1942 }), [], null, NOW);
    expect(json.location).toEqual({ latitude: 41.3968, longitude: 2.1942, geohash: 'sp3e9bj' });
    expect(json.created_at).toBe('2024-01-01T00:00:00Z');
    expect(presentDevice(device(), [], null, NOW).location).toEqual({});
  });
});

describe('presentDevice: what the clients read', () => {
  const reading = (overrides: Partial<DeviceSensorValue>): DeviceSensorValue => ({
    deviceId: 1,
    sensorId: 55,
    componentId: 3,
    uuid: 's-55',
    parentId: null,
    name: 'Temperature',
    description: 'Temperature, on the urban sensor board',
    unit: 'C',
    datasheet: null,
    unitDefinition: null,
    tags: [],
    measurement: {
      id: 4,
      uuid: 'm-4',
      name: 'temperature',
      description: 'Air temperature',
      definition: null,
    },
    sensorCreatedAt: new Date('2024-01-01T00:00:00Z'),
    sensorUpdatedAt: new Date('2024-01-02T00:00:00Z'),
    value: 21.5,
    prevValue: 21.25,
    recordedAt: new Date('2024-05-31T23:59:59.900Z'),
    ...overrides,
  });

  it('has every key of API.md in order, notify and the owner profile included', () => {
    const json = presentDevice(
      device({
        notifyLowBattery: true,
        ownerCity: 'Barcelona',
        ownerCountryCode: 'ES',
        ownerUrl: 'https://ana.example',
        city: 'Barcelona',
        countryCode: 'ES',
      }),
      [],
      null,
      NOW,
      [1, 4],
    );
    expect(Object.keys(json)).toEqual([
      'id',
      'uuid',
      'name',
      'description',
      'state',
      'system_tags',
      'user_tags',
      'last_reading_at',
      'created_at',
      'updated_at',
      'notify',
      'device_token',
      'postprocessing',
      'location',
      'data_policy',
      'hardware',
      'owner',
      'data',
      'experiment_ids',
    ]);
    expect(json.notify).toEqual({ stopped_publishing: false, low_battery: true });
    expect(json.owner).toEqual({
      id: 7,
      uuid: 'u-7',
      username: 'ana',
      url: 'https://ana.example',
      profile_picture: '',
      location: { city: 'Barcelona', country: 'Spain', country_code: 'ES' },
      device_ids: [1, 4],
    });
    expect(json.location).toEqual({ city: 'Barcelona', country_code: 'ES', country: 'Spain' });
    expect(json.experiment_ids).toEqual([]);
  });

  it('gives each sensor its uuid, key, measurement and previous value, sorted by name', () => {
    const json = presentDevice(
      device(),
      [
        reading({}),
        reading({ sensorId: 10, name: 'Battery', parentId: 3, measurement: null, prevValue: null }),
      ],
      null,
      NOW,
    );
    expect(json.data.sensors.map((s) => s.name)).toEqual(['Battery', 'Temperature']);
    const [battery, temperature] = json.data.sensors;
    expect(Object.keys(temperature)).toEqual([
      'id',
      'ancestry',
      'name',
      'description',
      'unit',
      'created_at',
      'updated_at',
      'uuid',
      'default_key',
      'datasheet',
      'unit_definition',
      'measurement',
      'value',
      'prev_value',
      'last_reading_at',
      'tags',
    ]);
    expect(temperature).toMatchObject({
      uuid: 's-55',
      default_key: 'temperature',
      prev_value: 21.25,
      last_reading_at: '2024-05-31T23:59:59Z',
      measurement: { name: 'temperature' },
    });
    expect(battery).toMatchObject({ ancestry: '3', measurement: null, prev_value: null });
  });
});
