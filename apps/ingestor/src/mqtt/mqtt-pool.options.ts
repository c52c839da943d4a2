import type { IClientOptions } from 'mqtt';

export interface MqttPoolOptions {
  host: string;
  port: number;
  tls: boolean;
  username?: string;
  password?: string;
  /** Member i connects as `${clientId}-${i}`; stable ids let a restarted ingestor resume its sessions. */
  clientId: string;
  connections: number;
  /**
   * Unacknowledged QoS 1 messages each connection may hold (its MQTT 5 Receive Maximum, and
   * enforced locally for MQTT 3.1.1 brokers). Default 1.
   */
  receiveMaximum?: number;
  /**
   * Bytes the pool may hold in messages not yet stored (payload, topic and a fixed overhead each,
   * or what the handler reports it keeps once decoded): above it, no member reads its next message
   * until some are. Bounds memory when large messages fill the windows. Default 8 MiB.
   */
  maxInFlightBytes?: number;
  keepaliveSeconds: number;
  sessionExpirySeconds: number;
  /** `$queue`, `$share/<group>`, or null to subscribe without a share (a broker with no shares). */
  sharedSubscription: string | null;
  topicPrefixes: string[];
  /** 5 (default) or 4 for brokers that speak only MQTT 3.1.1. */
  protocolVersion?: 4 | 5;
  /** Longest a graceful close() waits for delivered messages to be stored and acked. */
  drainTimeoutMs?: number;
  /** QoS 0 messages are acked at once; at most this many may be in processing at the same time. */
  maxQos0InFlight?: number;
}

/**
 * How the pool stops. `restart` (SIGTERM: a deploy, a crash loop, all replicas recreated at once):
 * stop reading, store and acknowledge what is held, disconnect without unsubscribing and keep the
 * session, so the broker queues this member's share until it is back. `decommission` (a
 * scale-down): unsubscribe, store and acknowledge what the broker still delivers, then end the
 * session so the broker stops routing anything to it.
 */
export type StopMode = 'restart' | 'decommission';

/**
 * First reconnect attempt after a drop, then doubling up to MAX_RECONNECT_MS. Short on purpose:
 * after a broker restart Mosquitto does not restore shared subscriptions from persistence, so a
 * message published before a member has re-subscribed reaches no one.
 */
export const FIRST_RECONNECT_MS = 500;
export const MAX_RECONNECT_MS = 30_000;
/** During a decommission, how long no message may arrive before the pool disconnects. */
export const QUIET_MS = 200;

/** MQTT.js options of pool member `member`: a persistent session under a stable client id. */
export function memberConnectOptions(options: MqttPoolOptions, member: number): IClientOptions {
  const protocolVersion = options.protocolVersion ?? 5;
  const receiveMaximum = options.receiveMaximum ?? 1;
  return {
    clientId: `${options.clientId}-${member}`,
    username: options.username,
    password: options.password,
    protocolVersion,
    clean: false,
    keepalive: options.keepaliveSeconds,
    reconnectPeriod: FIRST_RECONNECT_MS,
    connectTimeout: 10_000,
    resubscribe: false,
    ...(protocolVersion === 5
      ? { properties: { sessionExpiryInterval: options.sessionExpirySeconds, receiveMaximum } }
      : {}),
  };
}
