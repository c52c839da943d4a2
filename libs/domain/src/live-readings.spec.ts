import { describe, expect, it } from 'vitest';
import {
  firehoseTopic,
  forwardTokenIn,
  forwardTopic,
  liveEventId,
  liveReadingsMessage,
  parseLiveEventId,
} from './live-readings.js';

describe('live readings contract', () => {
  it('names the firehose and forward topics without device tokens', () => {
    expect(firehoseTopic(42)).toBe('sck/v1/devices/42/readings');
    expect(forwardTopic('abc123', 42)).toBe('/forward/abc123/device/42/readings');
  });

  it('builds one message per batch, chronological, optionally one sensor', () => {
    const batch = {
      deviceId: 7,
      storedAt: new Date('2026-01-01T00:00:05.123Z'),
      readings: [
        { sensorId: 56, recordedAt: new Date('2026-01-01T00:00:01Z'), value: 2 },
        { sensorId: 55, recordedAt: new Date('2026-01-01T00:00:01Z'), value: 1 },
        { sensorId: 55, recordedAt: new Date('2026-01-01T00:00:00Z'), value: 0 },
      ],
    };
    expect(liveReadingsMessage(batch)).toEqual({
      version: 1,
      device_id: 7,
      stored_at: '2026-01-01T00:00:05.123Z',
      readings: [
        { sensor_id: 55, timestamp: '2026-01-01T00:00:00.000Z', value: 0 },
        { sensor_id: 55, timestamp: '2026-01-01T00:00:01.000Z', value: 1 },
        { sensor_id: 56, timestamp: '2026-01-01T00:00:01.000Z', value: 2 },
      ],
    });
    expect(liveReadingsMessage(batch, 56).readings).toEqual([
      { sensor_id: 56, timestamp: '2026-01-01T00:00:01.000Z', value: 2 },
    ]);
  });

  it('round-trips event ids and refuses anything else', () => {
    const position = { txId: 9_007_199_254_740_993n, deviceId: 12 };
    expect(liveEventId(position)).toBe('9007199254740993-12');
    expect(parseLiveEventId(liveEventId(position))).toEqual(position);
    for (const bad of [
      '',
      '12',
      '-1-2',
      '1-2-3',
      'a-1',
      '1-99999999999',
      '99999999999999999999-1',
      '1.5-2',
    ]) {
      expect(parseLiveEventId(bad)).toBeNull();
    }
  });

  it('finds the forwarding token in a topic only as forward/<token>/', () => {
    expect(forwardTokenIn('/forward/abc/device/1/readings')).toBe('abc');
    expect(forwardTokenIn('forward/abc/#')).toBe('abc');
    expect(forwardTokenIn('/forward/abc')).toBeNull();
    expect(forwardTokenIn('/xforward/abc/device')).toBeNull();
    expect(forwardTokenIn('/forward//device')).toBeNull();
    expect(forwardTokenIn('/forward/a+b/x')).toBeNull();
  });
});
