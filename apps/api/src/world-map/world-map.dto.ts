import { createZodDto } from 'nestjs-zod';
import { z } from 'zod';
import { DEVICE_STATES } from '#db';
import { isoTime } from '../common/responses.js';
import { hardwareResponse } from '../devices/device-response.dto.js';

export const worldMapDeviceResponse = z.strictObject({
  id: z.number().int(),
  name: z.string(),
  description: z.string().nullable(),
  state: z.enum(DEVICE_STATES),
  system_tags: z.array(z.string()),
  user_tags: z.array(z.string()),
  last_reading_at: isoTime,
  location: z
    .strictObject({
      exposure: z.enum(['indoor', 'outdoor']).optional(),
      latitude: z.number(),
      longitude: z.number(),
      city: z.string().optional(),
      country: z.string().optional(),
    })
    .describe('Unknown members are omitted.'),
  hardware: hardwareResponse.extend({ last_status_message: z.literal('[FILTERED]') }),
});
export class WorldMapDeviceResponse extends createZodDto(worldMapDeviceResponse) {}
