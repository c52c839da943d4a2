import { z } from 'zod';

/**
 * What the real Smart Citizen clients read of our answers, field by field, learned from their public
 * sources: the Python connector (`smartcitizen-connector`, its pydantic models validate every
 * response, so a missing required field or a wrong type is an exception there) and the web app
 * (`smartcitizen-web`, whose constructors dereference these paths). Loose objects: extra keys are
 * fine for both clients, missing or mistyped ones are not.
 */

const isoDateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);

/** Connector `Measurement`; the web app reads `name` and `description` (a string it slices). */
export const connectorMeasurement = z.looseObject({
  id: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  description: z.string(),
  definition: z.string().nullable().optional(),
});

/** Connector `Sensor` (uuid and description required); web app: prev_value, tags.indexOf, measurement. */
export const connectorSensor = z.looseObject({
  id: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  description: z.string(),
  unit: z.string().nullable().optional(),
  measurement: connectorMeasurement.nullable().optional(),
  datasheet: z.string().nullable().optional(),
  unit_definition: z.string().nullable().optional(),
  value: z.number().nullable().optional(),
  prev_value: z.number().nullable().optional(),
  last_reading_at: isoDateTime.nullable().optional(),
  tags: z.array(z.string()),
  default_key: z.string().nullable().optional(),
});

const connectorHardware = z.looseObject({
  name: z.string(),
  type: z.string(),
  version: z.string().nullable().optional(),
  slug: z.string(),
});

const connectorLocation = z.looseObject({
  city: z.string().nullable().optional(),
  country_code: z.string().nullable().optional(),
  country: z.string().nullable().optional(),
  exposure: z.string().nullable().optional(),
  elevation: z.number().nullable().optional(),
  geohash: z.string().nullable().optional(),
  latitude: z.number().nullable().optional(),
  longitude: z.number().nullable().optional(),
});

/** Connector `Device` (notify required, updated_at required, device_token a string) + web app kit page. */
export const connectorDevice = z.looseObject({
  id: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  description: z.string().nullable().optional(),
  state: z.string(),
  postprocessing: z
    .looseObject({
      id: z.number().int().nullable().optional(),
      blueprint_url: z.string().nullable().optional(),
      hardware_url: z.string().nullable().optional(),
      forwarding_params: z.number().int().nullable().optional(),
      meta: z.string().nullable().optional(),
      latest_postprocessing: isoDateTime.nullable().optional(),
      device_id: z.number().int().nullable().optional(),
    })
    .nullable()
    .optional(),
  hardware: connectorHardware,
  system_tags: z.array(z.string()),
  user_tags: z.array(z.string()),
  data_policy: z.looseObject({
    is_private: z.boolean(),
    precise_location: z.boolean(),
    enable_forwarding: z.boolean(),
  }),
  notify: z.looseObject({ low_battery: z.boolean(), stopped_publishing: z.boolean() }),
  last_reading_at: isoDateTime.nullable().optional(),
  created_at: isoDateTime,
  updated_at: isoDateTime,
  // The web app's kit page: owner.location.city / country_code, device_ids, url, profile_picture.
  owner: z
    .looseObject({
      id: z.number().int(),
      username: z.string(),
      url: z.string().nullable(),
      profile_picture: z.string(),
      location: z.looseObject({
        city: z.string().nullable(),
        country_code: z.string().nullable(),
      }),
      device_ids: z.array(z.number().int()),
    })
    .nullable(),
  data: z.looseObject({ sensors: z.array(connectorSensor) }),
  location: connectorLocation,
  device_token: z.string(),
});

/** Connector `ReducedDevice` + the web app's map markers (location.latitude/longitude, city, country). */
export const worldMapItem = z.looseObject({
  id: z.number().int(),
  name: z.string(),
  description: z.string().nullable().optional(),
  state: z.string(),
  hardware: connectorHardware,
  system_tags: z.array(z.string()),
  user_tags: z.array(z.string()),
  last_reading_at: isoDateTime,
  location: connectorLocation.extend({ latitude: z.number(), longitude: z.number() }),
});

/**
 * The web app's search results: type, id (its links for users and devices), name|username, city,
 * country, latitude, longitude; the connector indexes them by id.
 */
export const searchResult = z.looseObject({
  id: z.number().int().nullable(),
  type: z.enum(['Device', 'User', 'City', 'Country', 'Tag']),
  name: z.string().optional(),
  username: z.string().optional(),
  city: z.string().nullable(),
  country: z.string().nullable(),
  latitude: z.number().nullable(),
  longitude: z.number().nullable(),
});

/** Connector `User`; the web app's user constructor reads location.city and location.country_code. */
export const connectorUser = z.looseObject({
  id: z.number().int(),
  uuid: z.string(),
  username: z.string(),
  role: z.string(),
  profile_picture: z.string(),
  location: z.looseObject({ city: z.string().nullable(), country_code: z.string().nullable() }),
  updated_at: isoDateTime,
  devices: z.array(connectorDevice.partial().extend({ id: z.number().int() })).optional(),
});
