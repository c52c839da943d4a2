import { expect, it } from 'vitest';
import { useContext } from '../helpers/context.js';

// The example of test/helpers/context.ts, kept true: a device, a publish and the API's answer.
const ctx = useContext({ broker: true, ingestor: true, api: true });

it('serves what a kit published', async () => {
  const { id, token } = await ctx.newDevice();
  await ctx.send({ topic: `device/sck/${token}/readings/raw`, payload: '{t:2024-01-01T00:00:00Z,55:21.5}' });
  const device = await (await ctx.api.request(`/v0/devices/${id}`)).json();
  expect(device.data.sensors[0].value).toBe(21.5);
  expect(await ctx.readingCount(id)).toEqual({ rows: 1, distinct: 1 });
});
