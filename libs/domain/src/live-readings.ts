/**
 * The live readings contract (docs/live.md, JSON Schema in docs/schemas/): one message per device
 * per stored batch, the same body on the MQTT firehose and in the server-sent events. Bump the
 * version (topic `sck/v<n>/…`) for any change a consumer could trip on.
 */
export const LIVE_CONTRACT_VERSION = 1;

/** The firehose topic of one device (no tokens in topics). */
export function firehoseTopic(deviceId: number): string {
  return `sck/v${LIVE_CONTRACT_VERSION}/devices/${deviceId}/readings`;
}

/** The forwarding topic of the Smart Citizen platform (leading slash included, as it has it). */
export function forwardTopic(forwardingToken: string, deviceId: number | '+'): string {
  return `/forward/${forwardingToken}/device/${deviceId}/readings`;
}

/**
 * Whether `topic` is one `username` may use as the forward topic of the user with
 * `forwardingToken`: the topic carries `forward/<token>/` and the username matches.
 */
export function forwardTokenIn(topic: string): string | null {
  const match = /(?:^|\/)forward\/([A-Za-z0-9_-]+)\//.exec(topic);
  return match ? match[1] : null;
}

export interface LiveBatchInput {
  deviceId: number;
  storedAt: Date;
  readings: { sensorId: number; recordedAt: Date; value: number }[];
}

export interface LiveReadingsMessage {
  version: number;
  device_id: number;
  /** When the batch's transaction wrote it (its commit follows within the transaction). */
  stored_at: string;
  readings: { sensor_id: number; timestamp: string; value: number }[];
}

/** The message of one batch; `sensorId` keeps only that sensor's readings. */
export function liveReadingsMessage(batch: LiveBatchInput, sensorId?: number): LiveReadingsMessage {
  const readings =
    sensorId === undefined ? batch.readings : batch.readings.filter((r) => r.sensorId === sensorId);
  return {
    version: LIVE_CONTRACT_VERSION,
    device_id: batch.deviceId,
    stored_at: batch.storedAt.toISOString(),
    readings: readings
      .toSorted((a, b) => a.recordedAt.getTime() - b.recordedAt.getTime() || a.sensorId - b.sensorId)
      .map((r) => ({ sensor_id: r.sensorId, timestamp: r.recordedAt.toISOString(), value: r.value })),
  };
}

/** The SSE event id of a batch position: `<tx id>-<device id>`. */
export function liveEventId(position: { txId: bigint; deviceId: number }): string {
  return `${position.txId}-${position.deviceId}`;
}

/** Parses an SSE `Last-Event-ID`; null when it is not one this service handed out. */
export function parseLiveEventId(id: string): { txId: bigint; deviceId: number } | null {
  const match = /^(\d{1,19})-(\d{1,10})$/.exec(id.trim());
  if (!match) return null;
  const txId = BigInt(match[1]);
  const deviceId = Number(match[2]);
  if (txId > BigInt('9223372036854775807') || deviceId > 2_147_483_647) return null;
  return { txId, deviceId };
}
