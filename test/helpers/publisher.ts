import mqtt, { type MqttClient } from 'mqtt';

/** A device-side MQTT client; every publish waits for the broker's PUBACK (QoS 1). */
export async function connectPublisher(
  port: number,
  clientId = `pub-${Math.random().toString(36).slice(2, 8)}`,
): Promise<MqttClient> {
  return mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId, reconnectPeriod: 0 });
}

export async function publishAll(
  client: MqttClient,
  messages: { topic: string; payload: string | Buffer; qos?: 0 | 1 }[],
): Promise<void> {
  for (const m of messages) await client.publishAsync(m.topic, m.payload, { qos: m.qos ?? 1 });
}
