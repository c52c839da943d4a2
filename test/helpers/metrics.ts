import type { MqttClient } from 'mqtt';
import { readMetric } from '../../tools/harness/ingestor.js';
import { waitFor } from '../../tools/harness/poll.js';
import { publishAll } from '../../tools/simulator/publisher.js';

/**
 * Messages the ingestor has received, or -1 while any of them is still in flight (not yet stored,
 * recorded, parked or spilled, and acknowledged).
 */
export async function settledMessages(port: number): Promise<number> {
  if ((await readMetric(port, 'sck_ingest_inflight_messages')) !== 0) return -1;
  return readMetric(port, 'sck_ingest_mqtt_received_total');
}

/** Publishes at QoS 1, then waits until the ingestor has settled every one of those messages. */
export async function sendAndSettle(
  port: number,
  client: MqttClient,
  messages: { topic: string; payload: string | Buffer }[],
): Promise<void> {
  const before = await settledMessages(port);
  await publishAll(client, messages);
  await waitFor(
    () => settledMessages(port),
    (n) => n >= Math.max(before, 0) + messages.length,
    { what: `${messages.length} messages settled` },
  );
}
