import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../tools/harness/api.js';
import { testDataLayer } from '../helpers/api.js';
import { createTestDatabase, type TestDatabase } from '../../tools/harness/database.js';
import { ingestorEnv, startInProcessIngestor } from '../../tools/harness/ingestor.js';
import { startMosquitto, type TestBroker } from '../../tools/harness/mosquitto.js';
import { waitFor } from '../../tools/harness/poll.js';
import { connectPublisher, publishAll } from '../../tools/simulator/publisher.js';
import { type Sample, rollup } from '../helpers/rollup.js';

let db: TestDatabase;
let broker: TestBroker;
let ingestor: Awaited<ReturnType<typeof startInProcessIngestor>>;
let api: TestApi;
let layer: ReturnType<typeof testDataLayer>;
let kit: MqttClient;

beforeAll(async () => {
  db = await createTestDatabase();
  broker = await startMosquitto();
  ingestor = await startInProcessIngestor(ingestorEnv(db.url, broker.port));
  api = await startTestApi(db);
  layer = testDataLayer(db);
  kit = await connectPublisher(broker.port);
});

afterAll(async () => {
  await kit?.endAsync();
  await ingestor?.stop();
  await broker?.stop();
  await api?.stop();
  await layer?.close();
  await db?.drop();
});

it('serves rollups of readings published over MQTT in the raw and the JSON form', async () => {
  const owner = await layer.newUser('maker');
  const created = await api.request('/v0/devices', {
    method: 'POST',
    token: owner.token,
    body: { name: 'Kit' },
  });
  const { id, device_token: token } = (await created.json()) as { id: number; device_token: string };

  // Two days of temperature (55) and humidity (56): raw messages every 20 minutes on day one,
  // JSON messages (several readings each) every 20 minutes on day two.
  const start = Date.parse('2024-05-01T00:00:00Z');
  const temperature: Sample[] = [];
  const humidity: Sample[] = [];
  const messages: { topic: string; payload: string }[] = [];
  for (let i = 0; i < 72; i++) {
    const at = start + i * 20 * 60_000;
    const t = Math.round((18 + 6 * Math.sin(i / 9) + (i % 5) * 0.13) * 100) / 100;
    const h = Math.round((55 - 15 * Math.cos(i / 11)) * 100) / 100;
    temperature.push({ at, value: t });
    humidity.push({ at, value: h });
    messages.push({
      topic: `device/sck/${token}/readings/raw`,
      payload: `{t:${new Date(at).toISOString().replace('.000Z', 'Z')},55:${t.toFixed(2)},56:${h.toFixed(2)}}`,
    });
  }
  const day2: { recorded_at: string; sensors: { id: number; value: number }[] }[] = [];
  for (let i = 72; i < 144; i++) {
    const at = start + i * 20 * 60_000;
    const t = Math.round((18 + 6 * Math.sin(i / 9) + (i % 5) * 0.13) * 100) / 100;
    const h = Math.round((55 - 15 * Math.cos(i / 11)) * 100) / 100;
    temperature.push({ at, value: t });
    humidity.push({ at, value: h });
    day2.push({
      recorded_at: new Date(at).toISOString(),
      sensors: [
        { id: 55, value: t },
        { id: 56, value: h },
      ],
    });
  }
  for (let i = 0; i < day2.length; i += 6) {
    messages.push({
      topic: `device/sck/${token}/readings`,
      payload: JSON.stringify({ data: day2.slice(i, i + 6) }),
    });
  }
  await publishAll(kit, messages);

  const window = 'from=2024-05-01&to=2024-05-03';
  await waitFor(
    async () =>
      (await (await api.request(`/v0/devices/${id}/readings?sensor_id=56&rollup=1d&${window}`)).json())
        .sample_size,
    (n) => n === 144,
    { what: 'all 144 humidity readings to be readable' },
  );

  const checks = [
    { sensor: 55, samples: temperature, rollup: '1h', count: 1, unit: 'h', fn: 'avg' },
    { sensor: 55, samples: temperature, rollup: '6h', count: 6, unit: 'h', fn: 'max' },
    { sensor: 56, samples: humidity, rollup: '1d', count: 1, unit: 'd', fn: 'min' },
    { sensor: 56, samples: humidity, rollup: '30m', count: 30, unit: 'm', fn: 'avg' },
  ] as const;
  for (const c of checks) {
    const response = await api.request(
      `/v0/devices/${id}/readings?sensor_id=${c.sensor}&rollup=${c.rollup}&function=${c.fn}&${window}`,
    );
    expect(response.status).toBe(200);
    const body = await response.json();
    const expected = rollup(c.samples, c.count, c.unit, c.fn);
    expect(body.sample_size).toBe(144);
    expect(body.readings.map(([at]: [string]) => at)).toEqual(expected.map(([at]) => at));
    body.readings.forEach(([, value]: [string, number], i: number) =>
      expect(value).toBeCloseTo(expected[i][1], 9),
    );
  }

  const device = await (await api.request(`/v0/devices/${id}`)).json();
  expect(device.state).toBe('has_published');
  expect(device.last_reading_at).toBe('2024-05-02T23:40:00Z');
  expect(device.data.sensors.map((s: { id: number; value: number }) => [s.id, s.value])).toEqual([
    [56, humidity[143].value],
    [55, temperature[143].value],
  ]);
});
