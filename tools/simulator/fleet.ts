import { type Random, seededRandom } from './random.js';
import { helloPacket, infoPacket, jsonPacket, rawPacket, type SampleValue, sampleValues } from './samples.js';

export interface FleetOptions {
  devices: number;
  seed: number;
  /** Share of readings messages in the raw form and in the JSON form (sums to 1). */
  mix: { raw: number; json: number };
  /** Share of messages that re-send the device's previous readings message verbatim. */
  duplicateRate?: number;
  /** Chance per readings message that the kit starts draining a flash backlog. */
  backlogRate?: number;
  /** Share of hello and of info messages. */
  helloRate?: number;
  infoRate?: number;
  /** Live timestamps never go below this instant (epoch ms); backlogs lie 30 days before it. */
  startAt?: number;
}

export type FleetMessageKind = 'raw' | 'json' | 'hello' | 'info';

export interface FleetMessage {
  device: number;
  kind: FleetMessageKind;
  topic: string;
  payload: string;
  /** Readings this message adds that no earlier message held: 0 for duplicates and non-readings. */
  newReadings: number;
  duplicate: boolean;
  backlog: boolean;
  /** recorded_at of the message's first reading (epoch ms), for latency probes; null otherwise. */
  recordedAt: number | null;
}

interface DeviceState {
  /** Last live timestamp used, epoch seconds: strictly increasing, so keys never repeat. */
  liveT: number;
  /** Next backlog timestamp, epoch seconds, one minute apart, oldest first. */
  backlogT: number;
  backlogLeft: number;
  readingsSent: number;
  last: { kind: 'raw' | 'json'; topic: string; payload: string; recordedAt: number } | null;
}

const DAY_S = 86_400;
const BACKLOG_MAX_S = 30 * DAY_S;

/**
 * A fleet of virtual SCK 2.1 kits, as PROTOCOL.md describes their traffic: one message per
 * reading group with battery first and PM every 5th reading, two decimals, occasional duplicates,
 * backlog bursts with old timestamps (oldest first, a minute apart), some hello and info.
 * Every device's timestamps are strictly increasing on two separate timelines (live, backlog), so
 * a message's readings are new unless it is a marked duplicate: `newReadings` counts exactly the
 * distinct rows the traffic should produce.
 */
export class Fleet {
  readonly tokens: string[];
  private readonly random: Random;
  private readonly states: DeviceState[];
  private readonly options: Required<FleetOptions>;

  constructor(options: FleetOptions) {
    this.options = {
      duplicateRate: 0.01,
      backlogRate: 0.001,
      helloRate: 0.002,
      infoRate: 0.001,
      startAt: Date.now(),
      ...options,
    };
    if (options.devices < 1 || options.devices > 36 ** 4) throw new RangeError('devices must be 1..1679616');
    this.random = seededRandom(options.seed);
    const prefix = (options.seed % 1296).toString(36).padStart(2, '0');
    this.tokens = Array.from({ length: options.devices }, (_, i) => prefix + i.toString(36).padStart(4, '0'));
    const startS = Math.floor(this.options.startAt / 1000);
    this.states = this.tokens.map(() => ({
      liveT: startS - 1,
      backlogT: startS - BACKLOG_MAX_S + Math.floor(this.random() * DAY_S),
      backlogLeft: 0,
      readingsSent: 0,
      last: null,
    }));
  }

  /** The next message of the fleet, timestamped against `nowMs` (live readings never go backwards). */
  next(nowMs = Date.now()): FleetMessage {
    const { options, random } = this;
    const device = Math.floor(random() * this.tokens.length);
    const token = this.tokens[device];
    const state = this.states[device];
    const roll = random();
    if (roll < options.helloRate) {
      return this.other(device, 'hello', `device/sck/${token}/hello`, helloPacket(token));
    }
    if (roll < options.helloRate + options.infoRate) {
      return this.other(device, 'info', `device/sck/${token}/info`, infoPacket());
    }
    if (state.last && roll < options.helloRate + options.infoRate + options.duplicateRate) {
      const { kind, topic, payload, recordedAt } = state.last;
      return { device, kind, topic, payload, newReadings: 0, duplicate: true, backlog: false, recordedAt };
    }
    if (state.backlogLeft === 0 && random() < options.backlogRate) {
      // A kit back from an outage: between 20 and 200 buffered readings, drained oldest first.
      state.backlogLeft = 20 + Math.floor(random() * 180);
    }
    const backlog = state.backlogLeft > 0 && state.backlogT < Math.floor(options.startAt / 1000) - 3600;
    const kind: 'raw' | 'json' = random() < options.mix.raw ? 'raw' : 'json';
    const readingCount = kind === 'json' && random() < 0.3 ? 2 : 1;
    const readings: { at: number; values: SampleValue[] }[] = [];
    for (let i = 0; i < readingCount; i++) {
      let t: number;
      if (backlog) {
        t = state.backlogT;
        state.backlogT += 60;
      } else {
        t = Math.max(state.liveT + 1, Math.floor(nowMs / 1000));
        state.liveT = t;
      }
      readings.push({ at: t * 1000, values: sampleValues(random, state.readingsSent % 5 === 0) });
      state.readingsSent++;
    }
    if (state.backlogLeft > 0) state.backlogLeft--;
    const topic = kind === 'raw' ? `device/sck/${token}/readings/raw` : `device/sck/${token}/readings`;
    const payload = kind === 'raw' ? rawPacket(readings[0].at, readings[0].values) : jsonPacket(readings);
    const recordedAt = readings[0].at;
    state.last = { kind, topic, payload, recordedAt };
    const newReadings = readings.reduce((sum, r) => sum + r.values.length, 0);
    return { device, kind, topic, payload, newReadings, duplicate: false, backlog, recordedAt };
  }

  /** The newest live timestamp of a device so far (epoch ms). */
  liveClock(device: number): number {
    return this.states[device].liveT * 1000;
  }

  private other(device: number, kind: 'hello' | 'info', topic: string, payload: string): FleetMessage {
    return {
      device,
      kind,
      topic,
      payload,
      newReadings: 0,
      duplicate: false,
      backlog: false,
      recordedAt: null,
    };
  }
}
