-- Up Migration

-- Which device × hour buckets a batch stored readings in: one row per batch, written by the batch's
-- own statement (hours since 1970-01-01 UTC, paired by position). The rollup job folds these into
-- rollup_pending and recomputes the buckets from the rows, so late and redelivered readings are
-- counted exactly once.
CREATE TABLE rollup_marks (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device_ids  integer[] NOT NULL,
  hours       integer[] NOT NULL
);

-- Device × hour buckets whose hourly rollups are out of date. Readers compute these hours from
-- the rows; the job recomputes them once the hour has closed.
CREATE TABLE rollup_pending (
  device_id  integer NOT NULL,
  hour       timestamptz NOT NULL,
  PRIMARY KEY (device_id, hour)
);
CREATE INDEX rollup_pending_hour_idx ON rollup_pending (hour);

-- Hourly aggregates per device × sensor: enough to answer every rollup function exactly. `total`
-- is the sum of each value as numeric, so sums of sums equal sums of rows whatever the order.
CREATE TABLE readings_hourly (
  device_id    integer NOT NULL,
  sensor_id    integer NOT NULL,
  hour         timestamptz NOT NULL,
  samples      integer NOT NULL,
  total        numeric NOT NULL,
  min_value    double precision NOT NULL,
  max_value    double precision NOT NULL,
  first_at     timestamptz NOT NULL,
  first_value  double precision NOT NULL,
  last_at      timestamptz NOT NULL,
  last_value   double precision NOT NULL,
  PRIMARY KEY (device_id, sensor_id, hour)
);

-- The same per UTC day, from readings_hourly: a year by the day reads 365 rows instead of 8,760.
CREATE TABLE readings_daily (
  device_id    integer NOT NULL,
  sensor_id    integer NOT NULL,
  day          timestamptz NOT NULL,
  samples      integer NOT NULL,
  total        numeric NOT NULL,
  min_value    double precision NOT NULL,
  max_value    double precision NOT NULL,
  first_at     timestamptz NOT NULL,
  first_value  double precision NOT NULL,
  last_at      timestamptz NOT NULL,
  last_value   double precision NOT NULL,
  PRIMARY KEY (device_id, sensor_id, day)
);

-- Closed days in a compact layout: one row per device × sensor × UTC day, readings sorted by time,
-- each instant as microseconds after the day's start and its value at the same position.
CREATE TABLE readings_compact (
  device_id   integer NOT NULL,
  sensor_id   integer NOT NULL,
  day_start   timestamptz NOT NULL,
  offsets_us  bigint[] NOT NULL,
  vals        double precision[] NOT NULL,
  PRIMARY KEY (device_id, sensor_id, day_start)
);

-- Every reading of a device's sensor in [p_from, p_to), raw or compacted. A single SQL SELECT, so
-- the planner inlines it and prunes partitions as for a query on `readings` itself.
CREATE FUNCTION readings_in(p_device integer, p_sensor integer, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (recorded_at timestamptz, value double precision)
LANGUAGE sql STABLE AS $$
  SELECT r.recorded_at, r.value
    FROM readings r
   WHERE r.device_id = p_device AND r.sensor_id = p_sensor
     AND r.recorded_at >= p_from AND r.recorded_at < p_to
  UNION ALL
  SELECT c.day_start + o.us * interval '1 microsecond', o.value
    FROM readings_compact c
   CROSS JOIN LATERAL unnest(c.offsets_us, c.vals) AS o(us, value)
   WHERE c.device_id = p_device AND c.sensor_id = p_sensor
     AND c.day_start > p_from - interval '1 day' AND c.day_start < p_to
     AND c.day_start + o.us * interval '1 microsecond' >= p_from
     AND c.day_start + o.us * interval '1 microsecond' < p_to
$$;

-- Rollups of the readings stored before this migration.
INSERT INTO readings_hourly
SELECT device_id, sensor_id, hour, count(*)::int, sum(value::numeric), min(value), max(value),
       min(recorded_at), (array_agg(value ORDER BY recorded_at))[1],
       max(recorded_at), (array_agg(value ORDER BY recorded_at DESC))[1]
  FROM (SELECT *, date_bin(interval '1 hour', recorded_at, TIMESTAMPTZ '2000-01-03 00:00:00+00') AS hour
          FROM readings) r
 GROUP BY device_id, sensor_id, hour;

INSERT INTO readings_daily
SELECT device_id, sensor_id, day, sum(samples)::int, sum(total), min(min_value), max(max_value),
       min(first_at), (array_agg(first_value ORDER BY first_at))[1],
       max(last_at), (array_agg(last_value ORDER BY last_at DESC))[1]
  FROM (SELECT *, date_bin(interval '1 day', hour, TIMESTAMPTZ '2000-01-03 00:00:00+00') AS day
          FROM readings_hourly) h
 GROUP BY device_id, sensor_id, day;

-- Down Migration

DROP FUNCTION readings_in(integer, integer, timestamptz, timestamptz);
DROP TABLE readings_compact;
DROP TABLE readings_daily;
DROP TABLE readings_hourly;
DROP TABLE rollup_pending;
DROP TABLE rollup_marks;
