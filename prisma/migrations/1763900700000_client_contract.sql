-- Up Migration

-- What the Smart Citizen clients read besides the readings: what a sensor measures, how a device
-- notifies its owner, its post-processing, and the public profile of its owner.
CREATE TABLE measurements (
  id          serial PRIMARY KEY,
  uuid        uuid NOT NULL UNIQUE DEFAULT gen_random_uuid(),
  name        text NOT NULL,
  description text NOT NULL DEFAULT '',
  definition  text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- edited_at: when an admin last changed the row through the API. Deploying the catalogue updates
-- only the rows no admin has edited.
ALTER TABLE sensors
  ADD COLUMN measurement_id  integer REFERENCES measurements (id),
  ADD COLUMN datasheet       text,
  ADD COLUMN unit_definition text,
  ADD COLUMN tags            text[] NOT NULL DEFAULT '{}',
  ADD COLUMN edited_at       timestamptz;

-- city and country_code: set by the owner (there is no geocoder).
ALTER TABLE devices
  ADD COLUMN notify_stopped_publishing boolean NOT NULL DEFAULT false,
  ADD COLUMN notify_low_battery        boolean NOT NULL DEFAULT false,
  ADD COLUMN city                      text,
  ADD COLUMN country_code              text;

CREATE TABLE postprocessings (
  id                    serial PRIMARY KEY,
  device_id             integer NOT NULL UNIQUE REFERENCES devices (id),
  blueprint_url         text,
  hardware_url          text,
  forwarding_params     integer,
  meta                  text,
  latest_postprocessing timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);

-- forwarding_token / forwarding_username: researchers' and admins' credentials for the
-- forwarding topic, made the first time they ask for them (GET /v0/me).
ALTER TABLE users
  ADD COLUMN email               text UNIQUE,
  ADD COLUMN url                 text,
  ADD COLUMN profile_picture     text,
  ADD COLUMN city                text,
  ADD COLUMN country_code        text,
  ADD COLUMN forwarding_token    text UNIQUE,
  ADD COLUMN forwarding_username text UNIQUE;

-- Down Migration

ALTER TABLE users
  DROP COLUMN email, DROP COLUMN url, DROP COLUMN profile_picture, DROP COLUMN city,
  DROP COLUMN country_code, DROP COLUMN forwarding_token, DROP COLUMN forwarding_username;
DROP TABLE postprocessings;
ALTER TABLE devices
  DROP COLUMN notify_stopped_publishing, DROP COLUMN notify_low_battery, DROP COLUMN city,
  DROP COLUMN country_code;
ALTER TABLE sensors
  DROP COLUMN measurement_id, DROP COLUMN datasheet, DROP COLUMN unit_definition, DROP COLUMN tags,
  DROP COLUMN edited_at;
DROP TABLE measurements;
